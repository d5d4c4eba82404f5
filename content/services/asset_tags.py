"""Tags on assets (clean names, add, remove, replace with the alt text), and the
two helpers every asset write shares: who did it, and the asset's locked row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.services.brands import require
from content.models import Asset, AssetTag
from workspaces.models import ApiKey, User, Workspace
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
TAG_SPACE = re.compile(r"\s+")


def by_fields(by: Principal | None, user: str, key: str) -> dict[str, Any]:
    """The pair of "who" columns named `user` and `key`, filled for `by`."""
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
        name = TAG_SPACE.sub(" ", raw).strip().lower()
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


def tag_rows(workspace: Workspace, names: Sequence[str]) -> list[AssetTag]:
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
        asset = locked_asset(asset)
        asset.tags.add(*tag_rows(asset.workspace, names))
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
        asset = locked_asset(asset)
        if alt_text is not None:
            asset.alt_text = alt_text.strip()
            asset.save(update_fields=["alt_text", "updated_at"])
        if names is not None:
            asset.tags.set(tag_rows(asset.workspace, names))
    return asset


def locked_asset(asset: Asset) -> Asset:
    """The asset's row, locked until the transaction ends; `Asset.DoesNotExist`
    (a 404) when another request deleted it since it was read."""
    return (
        Asset.objects.select_for_update().select_related("workspace").get(pk=asset.pk)
    )
