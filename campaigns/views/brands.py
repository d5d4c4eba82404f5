"""Brand profiles of the current workspace: a list, a create form, an edit form.

Everyone who sees the workspace sees its brands; creating and editing needs
EDIT_CONTENT (the service checks it again). Another workspace's brand is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from campaigns.models import BrandProfile
from campaigns.services import brands as brand_services
from campaigns.views.brand_forms import BrandForm
from workspaces.permissions import Action, can
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    require,
    workspace_view,
)

FORBIDDEN = "Only owners, admins and editors can change brand profiles."


def _brands(request: WorkspaceRequest) -> QuerySet[BrandProfile]:
    return BrandProfile.objects.filter(workspace=request.workspace)


@workspace_view
def brand_list(request: WorkspaceRequest) -> HttpResponse:
    brands = _brands(request).annotate(campaign_count=Count("campaigns"))
    return render(
        request,
        "campaigns/brands/list.html",
        {
            "section": "campaigns",
            "brands": brands,
            "edit": can(request.user, Action.EDIT_CONTENT, request.workspace),
        },
    )


def _form_page(
    request: WorkspaceRequest,
    form: BrandForm,
    brand: BrandProfile | None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "campaigns/brands/form.html",
        {"section": "campaigns", "form": form, "brand": brand},
        status=status,
    )


@workspace_view
def brand_create(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.EDIT_CONTENT, FORBIDDEN)
    if request.method != "POST":
        return _form_page(request, BrandForm(), None)
    form = BrandForm(request.POST)
    if form.is_valid():
        try:
            brand = brand_services.brand_create(
                workspace=workspace,
                by=request.user,
                data=form.service_data(),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Brand “{brand.name}” is created.")
            return redirect("brands")
    return _form_page(request, form, None, status=400)


@workspace_view
def brand_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    brand = get_object_or_404(_brands(request), pk=pk)
    editable = can(request.user, Action.EDIT_CONTENT, brand.workspace)
    if request.method != "POST":
        form = BrandForm(initial=BrandForm.initial_for(brand))
        if not editable:
            for field in form.fields.values():
                field.disabled = True
        return _form_page(request, form, brand)
    require(request, Action.EDIT_CONTENT, FORBIDDEN)
    form = BrandForm(request.POST)
    if form.is_valid():
        try:
            brand_services.brand_update(
                brand=brand,
                by=request.user,
                data=form.service_data(),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Brand “{brand.name}” is saved.")
            return redirect("brands")
    brand.refresh_from_db()
    return _form_page(request, form, brand, status=400)
