"""API keys reaching the current workspace: list, create (secret shown once), revoke.

The secret exists in exactly one response: the one answering the create form.
It is rendered, never stored (the row keeps its hash, the session nothing), and
that response is marked no-store so no cache keeps it either. With HTMX the
form swaps the panel in place, so the address stays the list's and a reload
shows the list without the secret.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from workspaces import selectors
from workspaces.forms import ApiKeyForm
from workspaces.models import ApiKey, Workspace
from workspaces.permissions import Action, can_in_organization
from workspaces.services.api_keys import IssuedApiKey, api_key_create, api_key_revoke
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    is_htmx,
    render_panel,
    require,
    workspace_view,
)

PAGE = "campaigns/settings/api_keys/page.html"
FORBIDDEN = "Only owners and admins can manage API keys."


def _page(
    request: WorkspaceRequest,
    workspace: Workspace,
    *,
    form: ApiKeyForm | None = None,
    issued: IssuedApiKey | None = None,
    status: int = 200,
) -> HttpResponse:
    may_revoke_org_keys = can_in_organization(
        request.user,
        Action.MANAGE_API_KEYS,
        workspace.organization,
    )
    keys = [
        {
            "key": key,
            "revocable": key.is_active
            and (key.workspace_id is not None or may_revoke_org_keys),
        }
        for key in selectors.workspace_api_keys(workspace)
    ]
    context: dict[str, Any] = {
        "section": "settings",
        "settings_tab": "api_keys",
        "keys": keys,
        "form": form or ApiKeyForm(),
        "issued": issued,
    }
    return render_panel(request, PAGE, context, status=status)


@workspace_view
def api_keys(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.MANAGE_API_KEYS, FORBIDDEN)
    return _page(request, workspace)


@require_POST
@workspace_view
def create(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.MANAGE_API_KEYS, FORBIDDEN)
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            issued = api_key_create(
                organization=workspace.organization,
                workspace=workspace,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                created_by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            response = _page(request, workspace, issued=issued)
            add_never_cache_headers(response)
            return response
    return _page(request, workspace, form=form, status=400)


@require_POST
@workspace_view
def revoke(request: WorkspaceRequest, pk: int) -> HttpResponse:
    workspace = require(request, Action.MANAGE_API_KEYS, FORBIDDEN)
    key: ApiKey = get_object_or_404(selectors.workspace_api_keys(workspace), pk=pk)
    if key.workspace_id is None and not can_in_organization(
        request.user,
        Action.MANAGE_API_KEYS,
        workspace.organization,
    ):
        raise PermissionDenied(
            "This key reaches the whole organization; its owners and admins revoke it."
        )
    api_key_revoke(api_key=key)
    messages.success(request, f"The key “{key.name}” is revoked.")
    return _page(request, workspace) if is_htmx(request) else redirect("api-keys")
