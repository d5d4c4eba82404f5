"""The post editor's Images panel: the post's images, choosing from the media
library (a picker with search), "Generate image" (a background job on the
`images` queue, polled by a progress bar, then a gallery of the results to
choose from) and a crop preview per channel format.

Every lookup is scoped to the current workspace (another tenant's post, asset
or job is a 404). With HTMX the answer is the panel; without, a redirect to
the post editor with a message, so the panel works without JavaScript.
Generation never runs in a request: the view only queues the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns import lifecycle
from campaigns.models import Job, JobStatus, Post
from content import renditions, services
from content.models import (
    Asset,
    PostImage,
    Rendition,
    RenditionFormat,
    Variant,
    VariantStatus,
)
from content.services.image_generation import CANCELED_MESSAGE, KIND, max_images
from content.views.library import provider_name
from core.errors import ConflictError
from workspaces.permissions import Action, can
from workspaces.views.common import WorkspaceRequest, is_htmx, require, workspace_view

PANEL = "content/images/_panel.html"
PROGRESS = "content/images/_progress.html"
PICKER = "content/images/_picker.html"
EDIT_FORBIDDEN = "Only editors, admins and owners change a post's images."
PICKER_SIZE = 24


class ImageGenerateForm(forms.Form):
    prompt = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Empty: the chosen variant's image prompt, else the topic.",
    )
    count = forms.IntegerField(min_value=1, initial=1)
    variant = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"].widget.attrs["max"] = max_images()

    def clean_count(self) -> int:
        count: int = self.cleaned_data["count"]
        if count > max_images():
            raise ValidationError(f"Ask for 1 to {max_images()} images.")
        return count


@dataclass
class FormatPreview:
    """One format of one network for an image: its rendition and crop box."""

    format: str
    label: str
    rendition: Rendition | None
    box: dict[str, float] | None  # left/top/width/height in % of the source


@dataclass
class NetworkPreview:
    network: str
    label: str
    formats: list[FormatPreview]


def _post(request: WorkspaceRequest, pk: int) -> Post:
    return get_object_or_404(
        Post.objects.filter(workspace=request.workspace).select_related(
            "campaign__brand", "workspace"
        ),
        pk=pk,
    )


def _job(request: WorkspaceRequest, pk: int) -> Job:
    return get_object_or_404(
        Job.objects.filter(workspace=request.workspace, kind=KIND),
        pk=pk,
    )


def _box(asset: Asset, rendition: Rendition | None) -> dict[str, float] | None:
    box = rendition.crop_box if rendition is not None else None
    if not box or len(box) != 4 or not asset.width or not asset.height:
        return None
    left, top, right, bottom = (float(v) for v in box)
    return {
        "left": round(100 * left / asset.width, 2),
        "top": round(100 * top / asset.height, 2),
        "width": round(100 * (right - left) / asset.width, 2),
        "height": round(100 * (bottom - top) / asset.height, 2),
    }


def previews(post: Post, asset: Asset) -> list[NetworkPreview]:
    """Per network of the post: each format it takes, with the stored rendition
    (the network's own, else the generic one) and its crop on the source."""
    from connections.models import Network

    labels = dict(Network.choices)
    format_labels = dict(RenditionFormat.choices)
    cuts = {(r.network, r.format): r for r in asset.renditions.all()}
    networks = sorted({a.network for a in post.accounts.all()})
    out = []
    for network in networks:
        limits = renditions.NETWORK_IMAGE_LIMITS.get(network)
        formats = limits.formats if limits else tuple(renditions.FORMATS)
        rows = []
        for fmt in formats:
            cut = cuts.get((network, fmt)) or cuts.get(("", fmt))
            rows.append(
                FormatPreview(fmt, format_labels.get(fmt, fmt), cut, _box(asset, cut))
            )
        out.append(NetworkPreview(network, labels.get(network, network), rows))
    return out


def _chosen_variant(post: Post) -> Variant | None:
    variants = Variant.objects.filter(post=post).exclude(image_prompt="")
    return (
        variants.filter(status=VariantStatus.CHOSEN).order_by("network", "pk").first()
        or variants.order_by("network", "label", "pk").first()
    )


def running_job(post: Post) -> Job | None:
    return (
        Job.objects.filter(
            workspace=post.workspace,
            kind=KIND,
            input__post_id=post.pk,
            status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def images_context(
    request: WorkspaceRequest,
    post: Post,
    *,
    form: ImageGenerateForm | None = None,
    error: str = "",
    notice: str = "",
    job: Job | None = None,
) -> dict[str, Any]:
    """The Images panel's context; the post editor page includes it too."""
    may_edit = (
        can(request.user, Action.EDIT_CONTENT, post.workspace)
        and post.status not in lifecycle.LOCKED_STATES
    )
    images = list(
        PostImage.objects.filter(post=post)
        .select_related("asset")
        .prefetch_related("asset__renditions")
        .order_by("position", "pk")
    )
    variant = _chosen_variant(post)
    if form is None:
        form = ImageGenerateForm(
            initial={
                "prompt": variant.image_prompt if variant else "",
                "variant": variant.pk if variant else None,
                "count": 1,
            }
        )
    provider = settings.IMAGE_PROVIDER
    model = {
        "diffusers": settings.IMAGE_MODEL,
        "openai": settings.IMAGE_REMOTE_MODEL,
    }.get(provider, "")
    job = job or running_job(post)
    return {
        "post": post,
        "images_chosen": [
            (usage, previews(post, usage.asset)) for usage in images if usage.chosen
        ],
        "images_candidates": [usage for usage in images if not usage.chosen],
        "may_edit_images": may_edit,
        "image_form": form,
        "image_variant": variant,
        "image_provider": provider,
        "image_provider_name": provider_name(provider),
        "image_provider_model": model,
        "image_job": job if job and job.status in _ACTIVE else None,
        "images_error": error,
        "images_notice": notice,
    }


_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def render_images(
    request: WorkspaceRequest, post: Post, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    return render(
        request, PANEL, images_context(request, post, **kwargs), status=status
    )


def _done(
    request: WorkspaceRequest,
    post: Post,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
    **kwargs: Any,
) -> HttpResponse:
    """The panel for HTMX; otherwise back to the editor with the message."""
    if is_htmx(request):
        return render_images(
            request, post, notice=notice, error=error, status=status, **kwargs
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(reverse("post-editor", args=[post.pk]) + "#images")


@require_GET
@workspace_view
def panel(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return render_images(request, _post(request, pk))


@require_POST
@workspace_view
def generate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    form = ImageGenerateForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _done(request, post, error=error, status=400, form=form)
    variant = None
    if form.cleaned_data.get("variant"):
        variant = Variant.objects.filter(
            post=post, pk=form.cleaned_data["variant"]
        ).first()
    try:
        job = services.image_generation_request(
            post=post,
            by=request.user,
            variant=variant,
            prompt=form.cleaned_data["prompt"] or None,
            count=form.cleaned_data["count"],
        )
    except ValidationError as error:
        return _done(
            request, post, error=" ".join(error.messages), status=400, form=form
        )
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409, form=form)
    count = form.cleaned_data["count"]
    notice = f"Making {count} image{'s' if count != 1 else ''}…"
    return _done(request, post, notice=notice, job=job)


@require_GET
@workspace_view
def progress(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Polled by the progress bar: itself while the job runs, then the panel."""
    job = _job(request, pk)
    post = _post(request, int(job.input.get("post_id") or 0))
    if job.status in _ACTIVE:
        return render(request, PROGRESS, {"image_job": job, "post": post})
    notice = error = ""
    if job.status == JobStatus.SUCCEEDED:
        notice = f"Done: {job.message}. Choose the ones to use."
    elif job.status == "canceled" or job.error == CANCELED_MESSAGE:
        notice = "The image generation was canceled."
    else:
        error = f"The image job failed: {job.error or 'unknown error'}"
    response = render_images(request, post, notice=notice, error=error)
    response["HX-Retarget"] = "#images-panel"
    response["HX-Reswap"] = "outerHTML"
    return response


@require_POST
@workspace_view
def cancel(request: WorkspaceRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    post = _post(request, int(job.input.get("post_id") or 0))
    try:
        services.image_job_cancel(job=job, by=request.user)
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409)
    return _done(request, post, notice="Image generation canceled.")


def _asset(request: WorkspaceRequest, pk: Any) -> Asset:
    return get_object_or_404(
        Asset.objects.filter(workspace=request.workspace),
        pk=pk if str(pk).isdigit() else 0,
    )


@require_POST
@workspace_view
def attach(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Use an image on the post (from the picker or the generated gallery)."""
    post = _post(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    asset = _asset(request, request.POST.get("asset", ""))
    try:
        services.asset_attach(asset=asset, post=post, by=request.user)
    except ValidationError as error:
        return _done(request, post, error=" ".join(error.messages), status=400)
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409)
    return _done(request, post, notice=f"{asset} is on the post.")


@require_POST
@workspace_view
def detach(request: WorkspaceRequest, pk: int, asset_pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    asset = _asset(request, asset_pk)
    try:
        services.asset_detach(asset=asset, post=post, by=request.user)
    except ConflictError as error:
        return _done(request, post, error=str(error), status=409)
    return _done(request, post, notice=f"{asset} is off the post.")


@require_GET
@workspace_view
def picker(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Library assets to choose from, newest first, narrowed by `q`."""
    post = _post(request, pk)
    query = (request.GET.get("q") or "").strip()[:200]
    used = set(PostImage.objects.filter(post=post).values_list("asset_id", flat=True))
    assets = services.asset_search(
        principal=request.user,
        workspace=post.workspace,
        query=query or None,
    )[:PICKER_SIZE]
    context = {
        "post": post,
        "picker_assets": assets,
        "picker_query": query,
        "picker_used": used,
        "may_edit_images": can(request.user, Action.EDIT_CONTENT, post.workspace),
    }
    if is_htmx(request):
        return render(request, PICKER, context)
    return render(request, "content/images/picker_page.html", context)
