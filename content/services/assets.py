"""The media library: upload, renditions, tags, search, usage, delete.

Plain functions taking the acting principal, for the API and the UI alike.
Uploads are checked by content (`content.uploads.inspect_upload`) before
anything is written; a refused upload raises `UploadRejected` (its `code` and
`message` are for the caller to show) and leaves no file and no row. The same
picture uploaded twice in a workspace is one asset (SHA-256 `checksum`).

Files are written to the default storage before the rows that name them are
committed; if anything fails in between, the files written so far are removed
again. A deleted asset's files go once the delete has committed.

An upload is checked and its original stored in the request; its thumbnail and
renditions are made by the images worker (`content.services.asset_renditions`),
and the asset reads `processing` until then. Each upload is charged to the
workspace's budget per minute first (`content.services.upload_budget`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from PIL import Image, ImageOps

from campaigns.errors import ConflictError
from campaigns.lifecycle import ensure_editable
from campaigns.models import ApiKey, Post, PostStatus, User, Workspace
from campaigns.permissions import Action, visible_workspaces
from campaigns.services.brands import require
from content.models import Asset, AssetSource, AssetTag, PostImage, RenditionsState
from content.services import upload_budget
from content.services.asset_renditions import (
    EXTENSIONS,
    THUMBNAIL_SIZE,
    make_renditions,
    remove_files,
    thumbnail_of,
    workspace_networks,
    write_derived,
)
from content.uploads import UploadRejected, inspect_upload

if TYPE_CHECKING:
    from campaigns.permissions import Principal

logger = logging.getLogger(__name__)

__all__ = [
    "THUMBNAIL_SIZE",
    "UploadRejected",
    "asset_attach",
    "asset_delete",
    "asset_detach",
    "asset_search",
    "asset_tag",
    "asset_untag",
    "asset_update",
    "asset_upload",
    "asset_usage",
    "clean_tags",
    "make_renditions",
    "store_image",
    "workspace_networks",
]

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
#: A post in one of these states is on its way to (or on) a network: its images
#: must stay.
PUBLISHING_STATES = (
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.PARTLY_PUBLISHED,
)
_TAG_SPACE = re.compile(r"\s+")


def _by_fields(by: Principal | None, user: str, key: str) -> dict[str, Any]:
    return {
        user: by if isinstance(by, User) else None,
        key: by if isinstance(by, ApiKey) else None,
    }


# --- Tags ---------------------------------------------------------------------


def clean_tags(value: Any) -> list[str]:
    """Tag names as stored: trimmed, spaces collapsed, lower-case, unique, in
    order. A comma-separated text is accepted. Raises `ValidationError` on
    `tags` for anything else, an over-long name or too many."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) for v in value
    ):
        raise ValidationError({"tags": ["Give a list of texts."]})
    out: list[str] = []
    for raw in value:
        name = _TAG_SPACE.sub(" ", raw).strip().lower()
        if not name or name in out:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                {"tags": [f"A tag has at most {MAX_TAG_LENGTH} characters."]}
            )
        out.append(name)
    if len(out) > MAX_TAGS:
        raise ValidationError({"tags": [f"At most {MAX_TAGS} tags per image."]})
    return out


def _tag_rows(workspace: Workspace, names: Sequence[str]) -> list[AssetTag]:
    rows = []
    for name in names:
        tag, _ = AssetTag.objects.get_or_create(workspace=workspace, name=name)
        rows.append(tag)
    return rows


def asset_tag(*, asset: Asset, by: Principal, tags: Any) -> Asset:
    """Add tags (created in the workspace when new)."""
    require(by, Action.EDIT_CONTENT, asset.workspace)
    names = clean_tags(tags)
    with transaction.atomic():
        asset = _locked(asset)
        asset.tags.add(*_tag_rows(asset.workspace, names))
    return asset


def asset_untag(*, asset: Asset, by: Principal, tags: Any) -> Asset:
    """Remove tags from this asset; the workspace keeps the tag names."""
    require(by, Action.EDIT_CONTENT, asset.workspace)
    names = clean_tags(tags)
    asset.tags.remove(
        *AssetTag.objects.filter(workspace=asset.workspace_id, name__in=names)
    )
    return asset


def asset_update(
    *,
    asset: Asset,
    by: Principal,
    alt_text: str | None = None,
    tags: Any = None,
) -> Asset:
    """Change the alt text and/or replace the tags (None: leave as is)."""
    require(by, Action.EDIT_CONTENT, asset.workspace)
    names = clean_tags(tags) if tags is not None else None
    if alt_text is not None and len(alt_text) > 500:
        raise ValidationError({"alt_text": ["At most 500 characters."]})
    with transaction.atomic():
        asset = _locked(asset)
        if alt_text is not None:
            asset.alt_text = alt_text.strip()
            asset.save(update_fields=["alt_text", "updated_at"])
        if names is not None:
            asset.tags.set(_tag_rows(asset.workspace, names))
    return asset


def _locked(asset: Asset) -> Asset:
    """The asset's row, locked until the transaction ends; `Asset.DoesNotExist`
    (a 404) when another request deleted it since it was read."""
    return (
        Asset.objects.select_for_update().select_related("workspace").get(pk=asset.pk)
    )


# --- Search and usage ---------------------------------------------------------


def asset_search(
    *,
    principal: Principal,
    workspace: Workspace | None = None,
    tag: str | None = None,
    source: str | None = None,
    query: str | None = None,
    ai_generated: bool | None = None,
) -> QuerySet[Asset]:
    """Assets the principal can see, newest first, narrowed by every filter given.

    `tag` is one tag name (any case); `query` matches the original filename,
    the alt text, the prompt and tag names (case-insensitive, on SQLite and
    PostgreSQL alike).
    """
    qs = Asset.objects.filter(workspace__in=visible_workspaces(principal))
    if workspace is not None:
        qs = qs.filter(workspace=workspace)
    if tag:
        qs = qs.filter(tags__name=_TAG_SPACE.sub(" ", tag).strip().lower())
    if source:
        qs = qs.filter(source=source)
    if ai_generated is not None:
        qs = qs.filter(ai_generated=ai_generated)
    if query:
        text = query.strip()
        qs = qs.filter(
            Q(original_filename__icontains=text)
            | Q(alt_text__icontains=text)
            | Q(prompt__icontains=text)
            | Q(tags__name__icontains=text)
        )
    return (
        qs.distinct()
        .select_related("workspace")
        .prefetch_related("tags", "renditions")
        .order_by("-created_at", "-pk")
    )


def asset_usage(asset: Asset) -> list[Post]:
    """The posts that use this asset: in their gallery or as their image."""
    ids = set(PostImage.objects.filter(asset=asset).values_list("post_id", flat=True))
    ids |= set(Post.objects.filter(image=asset).values_list("pk", flat=True))
    return list(Post.objects.filter(pk__in=ids).order_by("scheduled_at", "pk"))


# --- Attach / detach ----------------------------------------------------------


def asset_attach(
    *,
    asset: Asset,
    post: Post,
    by: Principal,
    chosen: bool = True,
    position: int | None = None,
) -> PostImage:
    """Put the asset in the post's gallery (again: update `chosen`/`position`).

    Both must be in the same workspace (else `ValidationError` on `post`); a
    post that is publishing, published or canceled cannot change.
    """
    require(by, Action.EDIT_CONTENT, post.workspace)
    if asset.workspace_id != post.workspace_id:
        raise ValidationError({"post": ["This image belongs to another workspace."]})
    ensure_editable(post)
    with transaction.atomic():
        Post.objects.select_for_update().filter(pk=post.pk).first()
        asset = _locked(asset)
        usage = PostImage.objects.filter(post=post, asset=asset).first()
        if position is None:
            last = (
                PostImage.objects.filter(post=post)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            position = usage.position if usage else (0 if last is None else last + 1)
        if usage is None:
            usage = PostImage.objects.create(
                post=post,
                asset=asset,
                position=position,
                chosen=chosen,
                **_by_fields(by, "added_by", "added_by_key"),
            )
        else:
            usage.chosen, usage.position = chosen, position
            usage.save(update_fields=["chosen", "position"])
        if chosen and post.status == PostStatus.SCHEDULED:
            _refuse_images_over_limit(post)
    return usage


def _refuse_images_over_limit(post: Post) -> None:
    """A scheduled post's images must keep fitting its channels (count, size):
    no later step would stop them before the network (the publisher would drop
    what is past the count). Raised inside the transaction: nothing changes."""
    from content.services.copy_checks import IMAGE_CODES, post_copy_findings

    problems: list[str] = []
    for channel in post_copy_findings(post):
        for finding in channel.blocking:
            if finding.code in IMAGE_CODES and finding.message not in problems:
                problems.append(finding.message)
    if problems:
        raise ValidationError(
            {
                "post": [
                    f"The post is scheduled, so its images must fit: {p}"
                    for p in problems
                ]
            }
        )


def asset_detach(*, asset: Asset, post: Post, by: Principal) -> None:
    """Take the asset out of the post's gallery (a no-op when it is not in it)."""
    require(by, Action.EDIT_CONTENT, post.workspace)
    ensure_editable(post)
    PostImage.objects.filter(post=post, asset=asset).delete()


# --- Delete -------------------------------------------------------------------


def asset_delete(*, asset: Asset, by: Principal) -> None:
    """Delete the asset, its renditions and their files.

    Refused with 409 `asset_in_use` (naming the posts) while a scheduled,
    publishing or published post uses it: the network needs the file. Files
    are removed only once the delete has committed.
    """
    require(by, Action.EDIT_CONTENT, asset.workspace)
    with transaction.atomic():
        asset = _locked(asset)
        blocking = sorted(
            p.pk for p in asset_usage(asset) if p.status in PUBLISHING_STATES
        )
        if blocking:
            raise ConflictError(
                "This image is used by a scheduled or published post; take it off "
                "the post first.",
                code="asset_in_use",
                posts=blocking,
            )
        names = _file_names(asset)
        asset.delete()
        transaction.on_commit(lambda: remove_files(names))
    logger.info("asset %s deleted (%d files)", asset.pk, len(names))


def _file_names(asset: Asset) -> list[str]:
    names = [asset.file.name] if asset.file else []
    if asset.thumbnail:
        names.append(asset.thumbnail.name)
    names += [n for n in asset.renditions.values_list("file", flat=True) if n]
    return names


# --- Upload and storing an image ----------------------------------------------


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

    Raises `campaigns.counters.Throttled` when the workspace is past its upload
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
    try:
        asset = store_image(
            workspace=workspace,
            image=stored,
            fields={
                "source": AssetSource.UPLOAD,
                "alt_text": alt_text,
                **_by_fields(by, "created_by", "created_by_key"),
            },
            tags=names,
            defer_renditions=True,
        )
    except IntegrityError:
        # The same file uploaded at the same moment: the other request won.
        existing = Asset.objects.filter(workspace=workspace, checksum=checksum).first()
        if existing is None:
            raise
        return _reuse(existing, names, alt_text), False
    logger.info(
        "asset %s uploaded to workspace %s (%s, %d bytes)",
        asset.pk,
        workspace.pk,
        checked.content_type,
        len(clean),
    )
    _send_to_worker(asset.pk)
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
            asset.tags.add(*_tag_rows(asset.workspace, names))
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
        image = source
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
                decoded.load()
                thumb = thumbnail_of(decoded)
                cuts = make_renditions(
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
                asset.tags.add(*_tag_rows(workspace, tags))
    except BaseException:
        remove_files(written)
        raise
    return asset
