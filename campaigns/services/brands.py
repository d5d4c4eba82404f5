"""Brand profiles: the voice and look the generators follow."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from campaigns.models import AIDisclosure, BrandProfile
from connections.models import Network
from core.errors import ConflictError
from workspaces.models import User, Workspace
from workspaces.permissions import Action, can

if TYPE_CHECKING:
    from workspaces.permissions import Principal

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
LIST_FIELDS = (
    "tone",
    "languages",
    "do_words",
    "dont_words",
    "required_hashtags",
    "required_mentions",
    "colours",
    "ai_disclosure_networks",
)
TEXT_FIELDS = ("name", "description", "voice", "audience", "default_cta")
FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, "ai_disclosure", "logo")


def require(principal: Principal, action: Action, workspace: Workspace) -> None:
    """Refuse with 403 (the caller can already see the workspace)."""
    if not can(principal, action, workspace):
        raise PermissionDenied("Your role does not allow this.")


def _clean_list(name: str, value: Any, errors: dict[str, list[str]]) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = re.split(r"[,\n]", value)
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) for v in value
    ):
        errors.setdefault(name, []).append("Give a list of texts.")
        return []
    seen: dict[str, str] = {}
    for raw in value:
        item = raw.strip()
        if not item:
            continue
        if name == "required_hashtags" and not item.startswith("#"):
            item = f"#{item}"
        if name == "required_mentions" and not item.startswith("@"):
            item = f"@{item}"
        if name == "colours":
            if not _COLOUR.match(item):
                errors.setdefault(name, []).append(
                    f"'{item}' is not a colour like #1a2b3c."
                )
                continue
            item = item.lower()
        if name == "languages" and not _LANGUAGE.match(item):
            errors.setdefault(name, []).append(
                f"'{item}' is not a language code like en or de-CH."
            )
            continue
        if name == "ai_disclosure_networks" and item not in Network.values:
            errors.setdefault(name, []).append(
                f"'{item}' is not a network ({', '.join(Network.values)})."
            )
            continue
        if len(item) > 200:
            errors.setdefault(name, []).append("Each entry has 200 characters at most.")
            continue
        seen.setdefault(item.casefold(), item)
    if len(seen) > 100:
        errors.setdefault(name, []).append("100 entries at most.")
    return list(seen.values())


def _apply(brand: BrandProfile, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in FIELDS:
            errors.setdefault(name, []).append("Unknown field.")
        elif name in LIST_FIELDS:
            setattr(brand, name, _clean_list(name, value, errors))
        elif name == "logo":
            if value is not None and value.workspace_id != brand.workspace_id:
                errors.setdefault(name, []).append("No such asset in this workspace.")
            brand.logo = value
        elif name == "ai_disclosure":
            if value not in AIDisclosure.values:
                errors.setdefault(name, []).append(
                    f"Choose one of {', '.join(AIDisclosure.values)}."
                )
            brand.ai_disclosure = value
        else:
            setattr(brand, name, (value or "").strip())
    if not brand.name:
        errors.setdefault("name", []).append("A brand needs a name.")
    for name in ("name", "default_cta"):
        if len(getattr(brand, name)) > 200:
            errors.setdefault(name, []).append("200 characters at most.")
    if errors:
        raise ValidationError(errors)


def brand_create(
    *, workspace: Workspace, by: Principal, data: dict[str, Any]
) -> BrandProfile:
    """Only the name is required; everything else can be filled in later."""
    require(by, Action.EDIT_CONTENT, workspace)
    brand = BrandProfile(
        workspace=workspace, created_by=by if isinstance(by, User) else None
    )
    _apply(brand, data)
    return _save(brand)


def brand_update(
    *, brand: BrandProfile, by: Principal, data: dict[str, Any]
) -> BrandProfile:
    require(by, Action.EDIT_CONTENT, brand.workspace)
    _apply(brand, data)
    return _save(brand)


def _save(brand: BrandProfile) -> BrandProfile:
    try:
        with transaction.atomic():
            brand.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": ["This workspace already has a brand with this name."]}
        ) from exc
    return brand


def brand_delete(*, brand: BrandProfile, by: Principal) -> None:
    require(by, Action.EDIT_CONTENT, brand.workspace)
    if brand.campaigns.exists():
        raise ConflictError(
            "Campaigns use this brand; move or delete them first.", code="in_use"
        )
    brand.delete()
