"""The variants panel's actions: generate (a background job, polled), regenerate
one, edit by hand, choose, delete, approve a failed check anyway.

Every lookup is scoped to the current workspace (another tenant's post, variant
or generation is a 404). With HTMX the answer is the panel; without, a redirect
to the post editor with a message, so the page works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Post
from content import services
from content.forms import GenerateForm, VariantTextForm
from content.models import Generation, Variant
from content.views.panel import render_panel
from core.errors import ConflictError
from workspaces.permissions import Action
from workspaces.views.common import WorkspaceRequest, is_htmx, require, workspace_view

EDIT_FORBIDDEN = "Only editors, admins and owners write copy."


def _post(request: WorkspaceRequest, pk: int) -> Post:
    return get_object_or_404(
        Post.objects.filter(workspace=request.workspace).select_related(
            "campaign__brand", "workspace"
        ),
        pk=pk,
    )


def _variant(request: WorkspaceRequest, pk: int) -> Variant:
    return get_object_or_404(
        Variant.objects.filter(workspace=request.workspace).select_related(
            "post__campaign__brand", "post__workspace"
        ),
        pk=pk,
    )


def _done(
    request: WorkspaceRequest,
    post: Post,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
    **kwargs: object,
) -> HttpResponse:
    """The panel for HTMX; otherwise back to the editor with the message."""
    if is_htmx(request):
        return render_panel(
            request, post, notice=notice, error=error, status=status, **kwargs
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(reverse("post-editor", args=[post.pk]) + "#variants")


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_GET
@workspace_view
def panel(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return render_panel(request, _post(request, pk))


@require_POST
@workspace_view
def generate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        if "network" in form.errors:  # no tab to show the form on
            error = " ".join(str(m) for m in form.errors["network"])
            return _done(request, post, error=error, status=400)
        if not is_htmx(request):
            messages.error(request, "Check the count, tone and language.")
            return redirect(reverse("post-editor", args=[post.pk]) + "#variants")
        return render_panel(request, post, form=form, status=400)
    try:
        generation = services.generation_request(
            post=post,
            by=request.user,
            network=form.cleaned_data["network"],
            count=form.cleaned_data["count"],
            tone=form.cleaned_data["tone"],
            language=form.cleaned_data["language"],
            fresh=request.POST.get("fresh") == "1",
        )
    except ValidationError as error:
        return _done(request, post, error=_message(error), status=400, form=form)
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409, form=form)
    if generation.cache_hit:
        notice = "Same request as before: the stored variants are reused (no cost)."
        return _done(request, post, notice=notice)
    return _done(request, post, notice="Writing variants…", generation=generation)


@require_GET
@workspace_view
def progress(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Polled by the progress bar: itself while the job runs, then the panel."""
    generation = get_object_or_404(
        Generation.objects.filter(workspace=request.workspace).select_related(
            "post__campaign__brand", "post__workspace"
        ),
        pk=pk,
    )
    post = generation.post
    if not generation.is_finished:
        return render(
            request, "content/variants/_progress.html", {"generation": generation}
        )
    notice = error = ""
    if generation.status == "succeeded":
        notice = f"Done: {generation.message}."
    elif generation.status == "failed":
        error = f"The generation failed: {generation.error or 'unknown'}"
    else:
        notice = "The generation was canceled."
    response = render_panel(request, post, notice=notice, error=error)
    response["HX-Retarget"] = "#variants-panel"
    response["HX-Reswap"] = "outerHTML"
    return response


@require_POST
@workspace_view
def cancel(request: WorkspaceRequest, pk: int) -> HttpResponse:
    generation = get_object_or_404(
        Generation.objects.filter(workspace=request.workspace),
        pk=pk,
    )
    try:
        services.generation_cancel(generation=generation, by=request.user)
    except ConflictError as error:
        return _done(request, generation.post, error=str(error), status=409)
    return _done(request, generation.post, notice="Generation canceled.")


@require_POST
@workspace_view
def regenerate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """A fresh variant for the variant's channel (the old one stays)."""
    variant = _variant(request, pk)
    post = variant.post
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    accounts = [a for a in post.accounts.all() if a.network == variant.network]
    if variant.account_id:
        accounts = [a for a in accounts if a.pk == variant.account_id] or accounts
    if not accounts:
        return _done(
            request,
            post,
            error=f"This post has no {variant.network} channel any more.",
            status=409,
        )
    try:
        generation = services.generation_request(
            post=post,
            by=request.user,
            accounts=accounts[:1],
            count=1,
            fresh=True,
        )
    except ValidationError as error:
        return _done(request, post, error=_message(error), status=400)
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409)
    notice = f"Writing a fresh {variant.network} variant…"
    return _done(request, post, notice=notice, generation=generation)


@require_POST
@workspace_view
def edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    variant = _variant(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    form = VariantTextForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(m) for ms in form.errors.values() for m in ms)
        return _done(request, variant.post, error=f"Not saved: {error}", status=400)
    try:
        services.variant_update_text(
            variant=variant,
            by=request.user,
            text=form.cleaned_data["text"],
        )
    except ValidationError as error:
        return _done(
            request, variant.post, error=f"Not saved: {_message(error)}", status=400
        )
    except ConflictError as error:
        return _done(request, variant.post, error=str(error), status=409)
    return _done(request, variant.post, notice=f"Variant {variant.label} saved.")


@require_POST
@workspace_view
def choose(request: WorkspaceRequest, pk: int) -> HttpResponse:
    variant = _variant(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    try:
        services.variant_choose(variant=variant, by=request.user)
    except ValidationError as error:
        return _done(
            request,
            variant.post,
            error=f"Variant {variant.label} cannot be chosen: {_message(error)}",
            status=400,
        )
    except ConflictError as error:
        return _done(request, variant.post, error=str(error), status=409)
    return _done(
        request,
        variant.post,
        notice=f"Variant {variant.label} is the {variant.network} copy.",
    )


@require_POST
@workspace_view
def delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    variant = _variant(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    post = variant.post
    try:
        services.variant_delete(variant=variant, by=request.user)
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409)
    return _done(request, post, notice=f"Variant {variant.label} deleted.")


@require_POST
@workspace_view
def override(request: WorkspaceRequest, pk: int) -> HttpResponse:
    variant = _variant(request, pk)
    services.variant_gate_override(variant=variant, by=request.user)
    return _done(
        request,
        variant.post,
        notice=f"Variant {variant.label} approved despite the check (recorded).",
    )
