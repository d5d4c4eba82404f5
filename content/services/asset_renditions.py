"""An asset's thumbnail and renditions: cut from the stored original.

Why apart from the upload: cutting a large picture into a dozen renditions
costs seconds of CPU, so an upload stores its original and answers at once
(`renditions_state` = processing) and the images worker makes the rest
(`content.tasks.render_asset` -> `render_asset`). Generated images are cut in
the worker that made them (`content.services.asset_uploads.store_image`). A post
whose image is still processing when it is published has it cut there, in the
publishing worker (`ensure_renditions`), as the last resort.
"""

from __future__ import annotations

import io
import logging
import math
import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import timedelta

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from content import renditions
from content.models import Asset, Rendition, RenditionsState
from workspaces.models import Workspace

logger = logging.getLogger("content.services.assets")

THUMBNAIL_SIZE = 400
#: An upload still processing this long after it was stored lost its message
#: (a broker restarted empty): the library sends it again.
STALE_AFTER_SECONDS = 120
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}


def remove_files(names: Iterable[str]) -> None:
    """Delete stored files, logging (not raising) what cannot be removed."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not remove file %s", name, exc_info=True)


def file_stem(asset: Asset) -> str:
    """The name the asset's derived files share: its original's, without the
    folder and the extension (a fresh one when it has no file)."""
    name = (asset.file.name or "").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return name or (asset.checksum[:16] + "-" + uuid.uuid4().hex[:8])


def write_derived(
    asset: Asset,
    *,
    stem: str,
    thumb: tuple[bytes, str],
    cuts: Sequence[tuple[str, renditions.Rendition]],
    written: list[str],
) -> None:
    """Store the thumbnail and the renditions of a saved asset (inside the
    caller's transaction); every file name written is appended to `written` so
    the caller can remove them if the transaction fails."""
    thumb_data, thumb_ext = thumb
    asset.thumbnail.save(
        f"{stem}-thumb.{thumb_ext}", ContentFile(thumb_data), save=False
    )
    written.append(asset.thumbnail.name)
    rows = []
    for network, cut in cuts:
        row = Rendition(
            asset=asset,
            format=cut.format,
            network=network,
            width=cut.width,
            height=cut.height,
            content_type=cut.content_type,
            bytes=cut.bytes,
            quality=cut.quality,
            crop_box=list(cut.crop_box),
        )
        cut_ext = EXTENSIONS.get(cut.content_type, "bin")
        row.file.save(
            f"{stem}-{network or 'generic'}-{cut.format}.{cut_ext}",
            ContentFile(cut.data),
            save=False,
        )
        written.append(row.file.name)
        rows.append(row)
    Rendition.objects.bulk_create(rows)


def render_asset(asset_id: int) -> bool:
    """Make the thumbnail and renditions of an asset that is `processing`.

    True when this call made them; False when there was nothing to do (already
    ready, deleted, or another worker finished first: the row lock decides, so
    a redelivered task never doubles the files). A picture that cannot be cut
    leaves the asset `failed` (publishing then sends the original).
    """
    asset = (
        Asset.objects.select_related("workspace")
        .filter(pk=asset_id, renditions_state=RenditionsState.PROCESSING)
        .first()
    )
    if asset is None:
        return False
    try:
        with asset.file.open("rb") as handle:
            data = handle.read()
        with Image.open(io.BytesIO(data)) as decoded:
            decoded.load()
            thumb = thumbnail_of(decoded)
            cuts = make_renditions(decoded, workspace=asset.workspace)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        logger.warning("asset %s: renditions failed", asset_id, exc_info=True)
        Asset.objects.filter(
            pk=asset_id, renditions_state=RenditionsState.PROCESSING
        ).update(renditions_state=RenditionsState.FAILED)
        return False
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = (
                Asset.objects.select_for_update()
                .filter(pk=asset_id, renditions_state=RenditionsState.PROCESSING)
                .first()
            )
            if locked is None:
                return False
            write_derived(
                locked, stem=file_stem(locked), thumb=thumb, cuts=cuts, written=written
            )
            locked.renditions_state = RenditionsState.READY
            locked.save(update_fields=["thumbnail", "renditions_state", "updated_at"])
    except BaseException:
        remove_files(written)
        raise
    logger.info("asset %s: %d renditions made", asset_id, len(cuts))
    return True


def requeue_if_stale(asset: Asset) -> bool:
    """Send the rendition task again for an upload that has been processing for
    longer than `STALE_AFTER_SECONDS` (its message was lost); at most once a
    minute per asset, however many pages poll it. True when it was sent."""
    if asset.renditions_state != RenditionsState.PROCESSING:
        return False
    if timezone.now() - asset.updated_at < timedelta(seconds=STALE_AFTER_SECONDS):
        return False
    if not cache.add(f"abuse:render-requeue:{asset.pk}", 1, timeout=60):
        return False
    from content.tasks import render_asset as task

    try:
        task.delay(asset.pk)
    except Exception:
        logger.warning("asset %s: renditions not queued", asset.pk, exc_info=True)
        return False
    logger.info("asset %s: renditions queued again", asset.pk)
    return True


def ensure_renditions(asset: Asset) -> Asset:
    """The asset with its renditions, cut now when the worker has not yet
    (publishing's last resort: the post is due and the image is processing)."""
    if asset.renditions_state != RenditionsState.PROCESSING:
        return asset
    render_asset(asset.pk)
    return Asset.objects.prefetch_related("renditions").get(pk=asset.pk)


def thumbnail_of(image: Image.Image) -> tuple[bytes, str]:
    thumb = image.copy()
    if thumb.mode not in ("RGB", "RGBA", "L"):
        thumb = thumb.convert("RGBA" if "transparency" in image.info else "RGB")
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if thumb.mode == "RGBA":
        thumb.save(out, "PNG", optimize=True)
        return out.getvalue(), "png"
    thumb.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue(), "jpg"


def workspace_networks(workspace: Workspace) -> list[str]:
    """The networks of the workspace's channel accounts that have image limits."""
    from connections.models import ChannelAccount

    found = (
        ChannelAccount.objects.filter(workspace=workspace)
        .values_list("network", flat=True)
        .distinct()
    )
    return sorted(n for n in set(found) if n in renditions.NETWORK_IMAGE_LIMITS)


def _enlarged(source: Image.Image) -> Image.Image:
    """`source` enlarged with Lanczos just enough that every format fits within
    `renditions.MAX_UPSCALE` (as it is when it already does)."""
    need = max(
        renditions.needed_scale(source.size, t) for t in renditions.FORMATS.values()
    )
    if need <= renditions.MAX_UPSCALE:
        return source
    factor = need / renditions.MAX_UPSCALE
    size = (math.ceil(source.width * factor), math.ceil(source.height * factor))
    return source.convert(
        "RGBA" if source.mode in ("RGBA", "LA", "P") else "RGB"
    ).resize(size, Image.Resampling.LANCZOS)


def make_renditions(
    image: Image.Image,
    *,
    workspace: Workspace,
    networks: Sequence[str] | None = None,
    enlarge: bool = False,
    label: str = "",
    label_networks: Collection[str] | None = None,
) -> list[tuple[str, renditions.Rendition]]:
    """(network, rendition) pairs: each network's formats within its limits, or
    every generic format when the workspace has no channel with image limits.

    A format the image is too small for is skipped (an upload is never blown
    up past `renditions.MAX_UPSCALE`); with `enlarge` (generated images, made
    at the model's native size) the source is first enlarged with Lanczos so
    that every format fits. `label`: a visible disclosure drawn on the
    renditions of `label_networks` (None: all of them).
    """
    wanted = list(networks) if networks is not None else workspace_networks(workspace)
    source = ImageOps.exif_transpose(image) or image
    prepared = renditions.prepare(_enlarged(source) if enlarge else source)
    plan: list[tuple[str, Sequence[str], int | None, Sequence[str]]] = []
    if wanted:
        for network in wanted:
            limits = renditions.NETWORK_IMAGE_LIMITS[network]
            plan.append(
                (network, limits.formats, limits.max_bytes, tuple(limits.content_types))
            )
    else:
        plan.append(
            ("", tuple(renditions.FORMATS), None, (renditions.JPEG, renditions.PNG))
        )
    out: list[tuple[str, renditions.Rendition]] = []
    for network, formats, max_bytes, content_types in plan:
        for fmt in formats:
            try:
                (cut,) = renditions.render(
                    prepared,
                    formats=[fmt],
                    max_bytes=max_bytes,
                    content_types=content_types,
                    label=label
                    if label_networks is None or network in label_networks
                    else "",
                )
            except renditions.RenditionError as exc:
                logger.info("rendition %s/%s skipped: %s", network, fmt, exc.message)
                continue
            out.append((network, cut))
    return out
