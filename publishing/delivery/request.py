"""What goes out: the connector's input for one publication (`build_request`),
its copy split into a thread where the network threads, and its images as the
renditions cut for the network (`media_for`)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from campaigns.terms import terms_for
from content.renditions.choice import rendition_for
from networks import PublishRequest
from networks.base import MediaItem

# A `---` line splits a thread: one rule, shared with the checks before
# sending (`networks.textrules`).
from networks.textrules import split_thread
from publishing.connector_store import connector_store
from publishing.models import Publication

logger = logging.getLogger("adloop.publishing")


def build_request(
    publication: Publication,
    *,
    connector: Any = None,
    preloaded: Preloaded | None = None,
) -> PublishRequest:
    """The connector's input: the chosen copy for the network, else the post's body.

    Threads: a text with `---` lines becomes `text` (the first part) and `thread`
    (the others) where the connector's capabilities say threads; elsewhere the
    parts are joined with a blank line so no separator reaches the network.
    `title` is the post's topic (an email's subject, a blog post's title).
    `store`: the database, where the connector keeps what outlives the call.
    `media`: the images attached to the post, as renditions cut for the
    account's network (see `media_for`). `preloaded`: a batch's variants and
    images read at once (`preload`), instead of two reads per publication.
    """
    post = publication.post
    text = post.body or post.topic
    variant = None
    if publication.variant_id is not None:
        if preloaded is not None:
            variant = preloaded.variants.get(publication.variant_id)
        else:
            from content.models import Variant

            variant = Variant.objects.filter(pk=publication.variant_id).first()
        if variant is not None:
            text = variant.text
    parts = split_thread(text)
    threads = bool(connector is not None and connector.capabilities.threads)
    if threads:
        text, thread = parts[0], tuple(parts[1:])
    else:
        text, thread = "\n\n".join(parts), ()
    # A blog's tags and categories (names; the connector finds the term ids).
    extra = (
        terms_for(post, text)
        if connector is not None and getattr(connector.capabilities, "terms", False)
        else {}
    )
    return PublishRequest(
        publication_id=publication.pk,
        post_id=post.pk,
        account=publication.account,
        text=text,
        link=post.link,
        scheduled_at=post.scheduled_at,
        idempotency_key=publication.idempotency_key,
        media=media_for(
            publication,
            variant,
            connector=connector,
            usages=None if preloaded is None else preloaded.images.get(post.pk, []),
        ),
        thread=thread,
        title=post.topic,
        extra=extra,
        store=connector_store,
    )


# Which rendition format goes out first, per network (the others are
# fallbacks): each network package's profile declares its own.


@dataclass
class Preloaded:
    variants: dict[int, Any]
    images: dict[int, list[Any]]  # post id -> its chosen PostImage rows, in order


def _chosen_images(post_ids: Collection[int]) -> QuerySet[Any]:
    from content.models import PostImage

    return (
        PostImage.objects.filter(post_id__in=post_ids, chosen=True)
        .select_related("asset")
        .prefetch_related("asset__renditions")
        .order_by("post_id", "position", "pk")
    )


def preload(publications: Collection[Publication]) -> Preloaded:
    """What `build_request` reads for a batch, in three queries for any size."""
    from content.models import Variant

    variant_ids = {p.variant_id for p in publications if p.variant_id is not None}
    variants = {v.pk: v for v in Variant.objects.filter(pk__in=variant_ids)}
    images: dict[int, list[Any]] = {}
    for usage in _chosen_images({p.post_id for p in publications}):
        images.setdefault(usage.post_id, []).append(usage)
    return Preloaded(variants, images)


def media_for(
    publication: Publication,
    variant: Any = None,
    *,
    connector: Any = None,
    usages: list[Any] | None = None,
) -> tuple[MediaItem, ...]:
    """The post's chosen images (`content.PostImage`, in order), each as one file:
    the asset's rendition for the account's network (already cut to its limits),
    else a generic rendition, else the original file (the connector's own
    validation then judges it). At most `capabilities.max_images` when the
    connector says. `usages`: the post's rows when the caller read them already
    (a batch's `preload`). An upload the images worker has not cut yet
    (`processing`) is cut here, in the publishing worker, as the last resort:
    the post is due and its image must fit the network.
    """
    if usages is None:
        usages = list(_chosen_images([publication.post_id]))
    if not usages:
        return ()
    alt_default = getattr(variant, "alt_text", "") or ""
    items = [
        item
        for usage in usages
        if (item := _media_item(publication, usage.asset, alt_default)) is not None
    ]
    if connector is not None:
        items = items[: connector.capabilities.max_images]
    return tuple(items)


def _media_item(
    publication: Publication, asset: Any, alt_default: str
) -> MediaItem | None:
    """One image as it goes out (see `media_for`); None without a local file."""
    network = publication.network
    if asset.renditions_state == "processing":
        from content.services.asset_renditions import ensure_renditions

        asset = ensure_renditions(asset)
    chosen = rendition_for(asset.renditions.all(), network)
    try:
        if chosen is not None:
            return MediaItem(
                path=chosen.file.path,
                content_type=chosen.content_type,
                alt_text=asset.alt_text or alt_default,
                width=chosen.width,
                height=chosen.height,
            )
        return MediaItem(
            path=asset.file.path,
            content_type=getattr(asset, "content_type", "") or "image/jpeg",
            alt_text=asset.alt_text or alt_default,
            width=asset.width or 0,
            height=asset.height or 0,
        )
    except (NotImplementedError, ValueError):  # remote storage, no file
        logger.warning(
            "publication %s: asset %s has no local file", publication.pk, asset.pk
        )
        return None
