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

This module holds search, usage, attach/detach and delete; tags are in
`content.services.asset_tags`, upload and storing in
`content.services.asset_uploads`, and both are re-exported here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from campaigns.lifecycle import ensure_editable
from campaigns.models import Post, PostStatus
from campaigns.services.brands import require
from content.models import Asset, PostImage
from content.services.asset_renditions import make_renditions, remove_files
from content.services.asset_tags import (
    TAG_SPACE,
    asset_tag,
    asset_untag,
    asset_update,
    by_fields,
    clean_tags,
    locked_asset,
)
from content.services.asset_uploads import (
    StoredImage,
    asset_upload,
    store_image,
    upload_limit,
)
from content.uploads import UploadRejected
from core.errors import ConflictError
from workspaces.models import Workspace
from workspaces.permissions import Action, visible_workspaces

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger(__name__)

# Upload, storing and tags live in their own modules; callers keep importing
# them from here (and from `content.services`).
__all__ = [
    "StoredImage",
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
    "upload_limit",
]

#: A post in one of these states is on its way to (or on) a network: its images
#: must stay.
PUBLISHING_STATES = (
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.PARTLY_PUBLISHED,
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
        qs = qs.filter(tags__name=TAG_SPACE.sub(" ", tag).strip().lower())
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
        asset = locked_asset(asset)
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
                **by_fields(by, "added_by", "added_by_key"),
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
        asset = locked_asset(asset)
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
