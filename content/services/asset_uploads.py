"""Uploading an image to the library and storing any image as an asset.

An upload is checked by content (`content.uploads.inspect_upload`) before
anything is written, charged to the workspace's budget per minute first
(`content.services.upload_budget`), cleaned of its metadata, and stored with
its original only: the images worker makes the rest. `store_image` is also how
a generated image becomes an asset. Files are written before the rows that
name them are committed; on any failure they are removed again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from PIL import Image, ImageOps

from campaigns.services.brands import require
from content.models import Asset, AssetSource, RenditionsState
from content.services import upload_budget
from content.services.asset_renditions import (
    EXTENSIONS,
    make_renditions,
    remove_files,
    thumbnail_of,
    write_derived,
)
from content.services.asset_tags import by_fields, clean_tags, tag_rows
from content.uploads import inspect_upload
from workspaces.models import Workspace
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

# The name it had as one module with the rest of the library, so log filters
# keep matching.
logger = logging.getLogger("content.services.assets")


def upload_limit() -> int:
    """Largest upload in bytes (`IMAGE_UPLOAD_MAX_BYTES`)."""
    return int(settings.IMAGE_UPLOAD_MAX_BYTES)


def asset_upload(
    *,
    workspace: Workspace,
    by: Principal,
    file: bytes | IO[bytes] | Any,
    filename: str,
    alt_text: str = "",
    tags: Any = None,
) -> tuple[Asset, bool]:
    """Check, clean and store one uploaded image; `(asset, created)`.

    Raises `core.counters.Throttled` when the workspace is past its upload
    budget for the minute (before the file is decoded), and `UploadRejected`
    (a non-image, a decompression bomb, a file over `IMAGE_UPLOAD_MAX_BYTES`,
    an animation, a truncated file) before anything is written. A new asset is
    `processing`: its thumbnail and renditions are made by the images worker
    (`content.tasks.render_asset`, sent once the row is committed). EXIF, GPS,
    XMP and text chunks are dropped (the orientation is applied first); the
    colour profile is kept. An identical file already in the workspace is
    returned with `created` False (the tags are added to it, the alt text
    filled in if it had none).
    """
    require(by, Action.EDIT_CONTENT, workspace)
    names = clean_tags(tags)
    alt_text = (alt_text or "").strip()
    if len(alt_text) > 500:
        raise ValidationError({"alt_text": ["At most 500 characters."]})
    upload_budget.charge_upload(workspace.pk)
    upload_budget.charge_pixels(workspace.pk, _declared_pixels(file))
    checked = inspect_upload(file, filename=filename, max_bytes=upload_limit())
    checksum = hashlib.sha256(checked.data).hexdigest()
    existing = Asset.objects.filter(workspace=workspace, checksum=checksum).first()
    if existing is not None:
        return _reuse(existing, names, alt_text), False
    clean = strip_metadata(checked.data, checked.format)
    stored = StoredImage(
        data=clean,
        content_type=checked.content_type,
        checksum=checksum,
        original_filename=_safe_filename(filename),
    )
    asset, created = _store_new(
        workspace=workspace, by=by, image=stored, alt_text=alt_text, names=names
    )
    if not created:
        return asset, False
    logger.info(
        "asset %s uploaded to workspace %s (%s, %d bytes)",
        asset.pk,
        workspace.pk,
        checked.content_type,
        len(clean),
    )
    _send_to_worker(asset.pk)
    return asset, True


def _store_new(
    *,
    workspace: Workspace,
    by: Principal,
    image: StoredImage,
    alt_text: str,
    names: Sequence[str],
) -> tuple[Asset, bool]:
    """Store a new upload, `processing`; `(asset, created)`. When the same file
    was uploaded at the same moment and the other request won, its asset."""
    try:
        asset = store_image(
            workspace=workspace,
            image=image,
            fields={
                "source": AssetSource.UPLOAD,
                "alt_text": alt_text,
                **by_fields(by, "created_by", "created_by_key"),
            },
            tags=names,
            defer_renditions=True,
        )
    except IntegrityError:
        # The same file uploaded at the same moment: the other request won.
        existing = Asset.objects.filter(
            workspace=workspace, checksum=image.checksum
        ).first()
        if existing is None:
            raise
        return _reuse(existing, names, alt_text), False
    return asset, True


def _send_to_worker(asset_id: int) -> None:
    """Queue the renditions once the row is committed. A broker that is down
    must not fail an upload that is already stored: the asset stays
    `processing` and publishing cuts it itself when it is due."""
    from content.tasks import render_asset

    def send() -> None:
        try:
            render_asset.delay(asset_id)
        except Exception:
            logger.warning("asset %s: renditions not queued", asset_id, exc_info=True)

    transaction.on_commit(send)


def _declared_pixels(file: bytes | IO[bytes] | Any) -> int:
    """Width x height as the file's header states them, without decoding the
    pixels (0 when the header cannot be read: the upload check says why)."""
    try:
        if isinstance(file, bytes | bytearray | memoryview):
            source: Any = io.BytesIO(bytes(file))
            start = 0
        else:
            source = file
            start = file.tell()
        try:
            with Image.open(source) as image:
                width, height = image.size
        finally:
            source.seek(start)
    except Exception:  # the upload check refuses it with its own reason
        return 0
    return int(width) * int(height)


def _reuse(asset: Asset, names: Sequence[str], alt_text: str) -> Asset:
    with transaction.atomic():
        if names:
            asset.tags.add(*tag_rows(asset.workspace, names))
        if alt_text and not asset.alt_text:
            asset.alt_text = alt_text
            asset.save(update_fields=["alt_text", "updated_at"])
    return asset


def _safe_filename(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:255]


def strip_metadata(data: bytes, fmt: str) -> bytes:
    """The image re-encoded without EXIF (GPS included), XMP or text chunks.

    The EXIF orientation is applied to the pixels first, so the picture looks
    the same; the ICC profile is kept (renditions convert to sRGB). JPEGs keep
    their quantisation tables (`quality="keep"`) when no rotation was needed.
    """
    if fmt == "PNG" and _png_has_no_metadata(data):
        # Nothing to drop: keep the checked bytes rather than spend seconds
        # re-encoding a large picture in the request.
        return data
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        icc = source.info.get("icc_profile")
        orientation = source.getexif().get(0x0112, 1)
        image: Image.Image = source
        if orientation not in (None, 1):
            image = ImageOps.exif_transpose(source) or source
        out = io.BytesIO()
        options: dict[str, Any] = {}
        if icc:
            options["icc_profile"] = icc
        if fmt == "JPEG":
            # "keep" reuses the source's quantisation tables: no second
            # generation loss. Only possible when the pixels were not rotated.
            keep = image is source and source.mode != "P"
            image.save(out, "JPEG", quality="keep" if keep else 95, **options)
        elif fmt == "WEBP":
            lossless = bool(source.info.get("lossless"))
            image.save(out, "WEBP", lossless=lossless, quality=95, **options)
        elif fmt == "GIF":
            image.save(out, "GIF")
        else:
            image.save(out, "PNG", optimize=False, **options)
    return out.getvalue()


#: PNG chunks that carry metadata (EXIF with GPS and orientation, text, time).
_PNG_METADATA_CHUNKS = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _png_has_no_metadata(data: bytes) -> bool:
    """Whether a PNG (already checked by `inspect_upload`) has none of the
    metadata chunks, read from the chunk headers without decoding a pixel."""
    pos = 8  # after the signature
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind in _PNG_METADATA_CHUNKS:
            return False
        if kind == b"IEND":
            return True
        pos += 12 + length  # length, type, data, CRC
    return False


@dataclass(frozen=True)
class StoredImage:
    """Bytes ready to keep, with what the asset row records about them."""

    data: bytes
    content_type: str
    checksum: str
    original_filename: str = ""
    enlarge: bool = False  # generated images are enlarged to fill every format


def store_image(
    *,
    workspace: Workspace,
    image: StoredImage,
    fields: dict[str, Any],
    tags: Sequence[str] = (),
    networks: Sequence[str] | None = None,
    label: str = "",
    label_networks: Collection[str] | None = None,
    defer_renditions: bool = False,
) -> Asset:
    """Write the file, its thumbnail and renditions, then the rows, atomically.

    `fields` are the asset's other columns (source, provenance, who). On any
    failure every file written here is removed again and the error re-raised.
    `defer_renditions`: store the original only, `processing` (an upload: the
    images worker makes the rest, see `content.services.asset_renditions`).
    """
    written: list[str] = []
    ext = EXTENSIONS.get(image.content_type, "bin")
    stem = image.checksum[:16] + "-" + uuid.uuid4().hex[:8]
    thumb: tuple[bytes, str] | None = None
    cuts: list[Any] = []
    try:
        with Image.open(io.BytesIO(image.data)) as decoded:
            width, height = decoded.size
            if not defer_renditions:
                thumb, cuts = _derived(
                    decoded,
                    workspace=workspace,
                    networks=networks,
                    enlarge=image.enlarge,
                    label=label,
                    label_networks=label_networks,
                )
        with transaction.atomic():
            asset = Asset(
                workspace=workspace,
                original_filename=image.original_filename,
                content_type=image.content_type,
                byte_size=len(image.data),
                checksum=image.checksum,
                **fields,
            )
            asset.file.save(f"{stem}.{ext}", ContentFile(image.data), save=False)
            written.append(asset.file.name)
            asset.width, asset.height = width, height
            if thumb is None:
                asset.renditions_state = RenditionsState.PROCESSING
                asset.save()
            else:
                asset.save()
                write_derived(asset, stem=stem, thumb=thumb, cuts=cuts, written=written)
                asset.save(update_fields=["thumbnail"])
            if tags:
                asset.tags.add(*tag_rows(workspace, tags))
    except BaseException:
        remove_files(written)
        raise
    return asset


def _derived(
    decoded: Image.Image,
    *,
    workspace: Workspace,
    networks: Sequence[str] | None,
    enlarge: bool,
    label: str,
    label_networks: Collection[str] | None,
) -> tuple[tuple[bytes, str], list[Any]]:
    """The thumbnail and the renditions of a decoded image, before any file is
    written."""
    decoded.load()
    thumb = thumbnail_of(decoded)
    cuts = make_renditions(
        decoded,
        workspace=workspace,
        networks=networks,
        enlarge=enlarge,
        label=label,
        label_networks=label_networks,
    )
    return thumb, cuts
