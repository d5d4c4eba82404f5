"""Image generation jobs: request (permission, validation, the job row), run (the
worker's side, on the `images` queue: one provider call per image, each result
stored as an asset with its provenance and renditions, progress, cancel,
errors) and cancel.

A request is a `campaigns.Job` of kind `image_generation`, so the UI and the
API follow it like any other job (`/api/v1/jobs/{id}/`). The job's `input`
says everything the worker needs (post, variant, prompt, count, size, seed,
provider), so what it made can be traced back to what was asked. What an
image's provenance note and AI disclosure say is `image_provenance`'s.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from campaigns.lifecycle import ensure_editable
from campaigns.models import BrandProfile, Job, JobStatus, Post
from campaigns.services import jobs
from campaigns.services.brands import require
from content.images import (
    PROVIDERS,
    BrandStyle,
    GeneratedImage,
    ImageError,
    ImageRequest,
    brand_style_from,
    get_image_provider,
)
from content.models import Asset, AssetSource, PostImage, Variant
from content.services.assets import StoredImage, store_image

# disclosure_for is re-exported: its callers and tests import it from here.
from content.services.image_provenance import disclosure_for as disclosure_for
from content.services.image_provenance import provenance_note, visible_label
from core.errors import ConflictError
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger(__name__)

KIND = "image_generation"
MIN_SIDE, MAX_SIDE = 64, 2048
MAX_SEED = 2**32 - 1
CANCELED_MESSAGE = "Canceled"


def max_images() -> int:
    return int(settings.IMAGE_MAX_PER_REQUEST)


# --- Request -------------------------------------------------------------------


def _validate(
    *,
    post: Post,
    variant: Variant | None,
    count: Any,
    width: Any,
    height: Any,
    seed: Any,
    provider: str | None,
) -> None:
    errors: dict[str, list[str]] = {}

    def integer(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    top = max_images()
    if not integer(count) or not (1 <= count <= top):
        errors["count"] = [f"Ask for 1 to {top} images."]
    for name, value in (("width", width), ("height", height)):
        if not integer(value) or not (value == 0 or MIN_SIDE <= value <= MAX_SIDE):
            errors[name] = [
                f"Give 0 (the model's native size) or {MIN_SIDE} to {MAX_SIDE} pixels."
            ]
    if seed is not None and (not integer(seed) or not (0 <= seed <= MAX_SEED)):
        errors["seed"] = [f"A seed is a whole number from 0 to {MAX_SEED}."]
    if variant is not None and variant.post_id != post.pk:
        errors["variant"] = ["This variant belongs to another post."]
    if provider is not None and provider not in PROVIDERS:
        errors["provider"] = [f"Use one of {', '.join(PROVIDERS)}."]
    if errors:
        raise ValidationError(errors)


def _prompt_for(post: Post, variant: Variant | None, prompt: str | None) -> str:
    """`prompt`, else the variant's image prompt, else the post's topic and angle."""
    text = (prompt or "").strip()
    if not text and variant is not None:
        text = variant.image_prompt.strip()
    if not text:
        text = ". ".join(p for p in (post.topic, post.angle) if p)
    if len(text) > 2000:
        raise ValidationError({"prompt": ["At most 2000 characters."]})
    return text


def image_generation_request(
    *,
    post: Post,
    by: Principal,
    variant: Variant | None = None,
    prompt: str | None = None,
    count: int = 1,
    width: int = 0,
    height: int = 0,
    seed: int | None = None,
    provider: str | None = None,
) -> Job:
    """Ask for `count` images for `post`; a queued `Job` the caller can follow.

    The prompt is `prompt`, else the variant's image prompt, else the post's
    topic and angle; the brand's style (palette, tone as mood words, don't
    words as the negative prompt) is applied by the provider in the worker.
    `provider` overrides `IMAGE_PROVIDER` for this job. The task
    `content.tasks.generate_images` (queue `images`) is sent after the commit.
    """
    require(by, Action.EDIT_CONTENT, post.workspace)
    ensure_editable(post)
    _validate(
        post=post,
        variant=variant,
        count=count,
        width=width,
        height=height,
        seed=seed,
        provider=provider,
    )
    text = _prompt_for(post, variant, prompt)
    job = jobs.job_create(
        workspace=post.workspace,
        kind=KIND,
        by=by,
        input={
            "post_id": post.pk,
            "variant_id": variant.pk if variant is not None else None,
            "prompt": text,
            "count": count,
            "width": width,
            "height": height,
            "seed": seed,
            "provider": provider or settings.IMAGE_PROVIDER,
        },
    )
    job.message = "Queued"
    job.save(update_fields=["message"])
    from content.tasks import generate_images

    jobs.enqueue(generate_images, job)
    logger.info(
        "image job %s queued for post %s (%s x %d)",
        job.pk,
        post.pk,
        job.input["provider"],
        count,
    )
    return job


# --- Cancel ---------------------------------------------------------------------


def image_job_cancel(*, job: Job, by: Principal) -> Job:
    """Stop a queued or running image job: images already stored stay, the
    worker makes no more (it checks between images and before storing)."""
    require(by, Action.EDIT_CONTENT, job.workspace)
    if job.kind != KIND:
        raise ConflictError(
            "Only image jobs can be canceled here.", code="not_cancelable"
        )
    if not jobs.job_cancel(job, message=CANCELED_MESSAGE):
        raise ConflictError(
            f"This job is already {job.get_status_display().lower()}.",
            code="not_cancelable",
            status=job.status,
        )
    return job


def _still_running(job: Job) -> bool:
    return jobs.job_is_running(job)


# --- Run ------------------------------------------------------------------------


def run_image_generation(job_id: int) -> None:
    """The worker's side of `image_generation_request`.

    Claims the job, then makes one image at a time: progress after each (and
    within one, from the provider's steps), the cancel honoured between images,
    every result stored as an asset (provenance, thumbnail, renditions) in the
    post's gallery as a candidate (`chosen` false). An `ImageError` fails the
    job with its message; anything else with "internal error" (logged).
    """
    job = Job.objects.select_related("workspace").filter(pk=job_id).first()
    if job is None:
        logger.warning("image job %s is gone; nothing to do", job_id)
        return
    if not jobs.job_start(job):
        logger.info("image job %s is taken or done (%s)", job_id, job.status)
        return
    try:
        made = _run(job)
    except ImageError as exc:
        logger.info("image job %s failed: %s (%s)", job.pk, exc.message, exc.code)
        _fail(job, exc.message)
        return
    except Exception:
        logger.exception("image job %s failed unexpectedly", job.pk)
        _fail(job, "internal error")
        return
    if made is None:
        logger.info("image job %s canceled while running", job.pk)
        return
    if Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists():
        jobs.job_succeed(
            job,
            result={"assets": made},
            message=f"{len(made)} image{'s' if len(made) != 1 else ''} made",
        )


def _fail(job: Job, error: str) -> None:
    if Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists():
        jobs.job_fail(job, error=error[:2000])


def _run(job: Job) -> list[int] | None:
    data = job.input
    post = (
        Post.objects.select_related("workspace", "campaign__brand__logo")
        .filter(pk=data.get("post_id"), workspace=job.workspace)
        .first()
    )
    if post is None:
        raise ImageError("The post is gone.", permanent=True, code="gone")
    variant = None
    if data.get("variant_id"):
        variant = Variant.objects.filter(pk=data["variant_id"], post=post).first()
    brand = post.campaign.brand
    style = brand_style_from(brand)
    provider = get_image_provider(data.get("provider") or None)
    count = int(data.get("count") or 1)
    seed = data.get("seed")
    if seed is None and count > 1:
        # One random base, then seed+1, seed+2…: the images differ (the template
        # card's layout follows the seed too) and each can be made again.
        seed = secrets.randbelow(MAX_SEED + 1)
    made: list[int] = []
    for index in range(count):
        if not _still_running(job):
            return None
        jobs.job_progress(
            job, done=index, total=count, message=f"Image {index + 1} of {count}"
        )

        def step(done: int, total: int, index: int = index) -> None:
            part = (index + done / max(1, total)) / count
            jobs.job_progress(
                job,
                done=int(part * 1000),
                total=1000,
                message=f"Image {index + 1} of {count}: step {done} of {total}",
            )

        request = ImageRequest(
            prompt=data["prompt"],
            width=int(data.get("width") or 0),
            height=int(data.get("height") or 0),
            seed=None if seed is None else (int(seed) + index) % (MAX_SEED + 1),
            style=style,
            headline=post.topic,
        )
        result = provider.generate(request, progress=step)
        if not _still_running(job):
            return None
        asset = store_generated(
            result, job=job, post=post, variant=variant, brand=brand, style=style
        )
        made.append(asset.pk)
        jobs.job_progress(
            job, done=index + 1, total=count, message=f"{index + 1} of {count} made"
        )
    return made


def store_generated(
    result: GeneratedImage,
    *,
    job: Job,
    post: Post,
    variant: Variant | None,
    brand: BrandProfile,
    style: BrandStyle | None = None,
) -> Asset:
    """Keep one result as an asset with its provenance and renditions, in the
    post's gallery as a candidate. The same pixels again (a deterministic
    template card) reuse the earlier asset."""
    buffer = io.BytesIO()
    image = result.image
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    image.save(buffer, "PNG")
    data = buffer.getvalue()
    checksum = hashlib.sha256(data).hexdigest()
    asset = Asset.objects.filter(workspace=post.workspace, checksum=checksum).first()
    if asset is None:
        fields = _asset_fields(result, job=job, post=post, variant=variant, brand=brand)
        try:
            asset = store_image(
                workspace=post.workspace,
                image=StoredImage(
                    data=data,
                    content_type="image/png",
                    checksum=checksum,
                    original_filename=f"generated-job{job.pk}-{checksum[:8]}.png",
                    enlarge=True,
                ),
                fields=fields,
                **visible_label(fields["provenance"]["disclosure"]),
            )
        except IntegrityError:
            asset = Asset.objects.get(workspace=post.workspace, checksum=checksum)
    _add_to_gallery(post, asset, job)
    return asset


def _asset_fields(
    result: GeneratedImage,
    *,
    job: Job,
    post: Post,
    variant: Variant | None,
    brand: BrandProfile,
) -> dict[str, Any]:
    """A generated asset's fields: how it was made, for what, by whom."""
    now = timezone.now()
    alt = (variant.alt_text if variant is not None else "") or ""
    return {
        "source": AssetSource.GENERATED,
        "alt_text": alt[:500],
        "ai_generated": result.ai_generated,
        "provider": result.provider,
        "model": result.model[:300],
        "prompt": result.final_prompt,
        "negative_prompt": result.negative_prompt,
        "seed": result.seed,
        "steps": result.steps,
        "guidance": result.guidance,
        "device": result.device[:20],
        "variant": variant,
        "made_for_post": post,
        "job": job,
        "provenance": provenance_note(result, brand=brand, created=now.isoformat()),
        "created_by_id": job.created_by_id,
        "created_by_key_id": job.created_by_key_id,
    }


def _add_to_gallery(post: Post, asset: Asset, job: Job) -> None:
    """The asset among the post's images, last, as a candidate (not chosen)."""
    last = (
        PostImage.objects.filter(post=post)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    PostImage.objects.get_or_create(
        post=post,
        asset=asset,
        defaults={
            "position": 0 if last is None else last + 1,
            "chosen": False,
            "added_by_id": job.created_by_id,
            "added_by_key_id": job.created_by_key_id,
        },
    )
