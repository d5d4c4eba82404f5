"""Campaigns: the brief, dates, channels with their cadence, pillars, blackouts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    Objective,
    Pillar,
)
from campaigns.services.brands import require
from connections.models import ChannelAccount
from core.timezones import zone
from workspaces.models import User, Workspace
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

MAX_DAYS = 366


@dataclass(frozen=True)
class Cadence:
    account: ChannelAccount
    posts_per_week: int


@dataclass(frozen=True)
class PillarSpec:
    name: str
    weight: int = 1
    description: str = ""


SIMPLE_FIELDS = (
    "name",
    "objective",
    "brief",
    "start_date",
    "end_date",
    "time_zone",
    "blackout_dates",
    "kpi_targets",
    "min_gap_minutes",
    "status",
    "utm_campaign",
    "brand",
)


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _validate(
    campaign: Campaign,
    cadences: list[Cadence] | None,
    pillars: list[PillarSpec] | None,
) -> None:
    """Clean `campaign` in place and check it with its cadences and pillars;
    one ValidationError naming every bad field."""
    errors: dict[str, list[str]] = {}
    _validate_fields(campaign, errors)
    _validate_dates(campaign, errors)
    _validate_targets(campaign, errors)
    if cadences is not None:
        _validate_cadences(campaign, cadences, errors)
    if pillars is not None:
        _validate_pillars(pillars, errors)
    if errors:
        raise ValidationError(errors)


def _validate_fields(campaign: Campaign, errors: dict[str, list[str]]) -> None:
    campaign.name = (campaign.name or "").strip()
    if not campaign.name:
        _add(errors, "name", "A campaign needs a name.")
    elif len(campaign.name) > 200:
        _add(errors, "name", "200 characters at most.")
    if campaign.brand_id is None:
        _add(errors, "brand", "Choose a brand.")
    elif campaign.brand.workspace_id != campaign.workspace_id:
        _add(errors, "brand", "No such brand in this workspace.")
    if campaign.objective not in Objective.values:
        _add(errors, "objective", f"Choose one of {', '.join(Objective.values)}.")
    if campaign.status not in CampaignStatus.values:
        _add(errors, "status", f"Choose one of {', '.join(CampaignStatus.values)}.")
    try:
        zone(campaign.time_zone or "")
    except ValidationError as exc:
        _add(errors, "time_zone", exc.messages[0])


def _validate_dates(campaign: Campaign, errors: dict[str, list[str]]) -> None:
    start, end = campaign.start_date, campaign.end_date
    if not isinstance(start, date):
        _add(errors, "start_date", "Give a date (YYYY-MM-DD).")
    if not isinstance(end, date):
        _add(errors, "end_date", "Give a date (YYYY-MM-DD).")
    if isinstance(start, date) and isinstance(end, date):
        if end < start:
            _add(errors, "end_date", "The campaign ends before it starts.")
        elif (end - start).days + 1 > MAX_DAYS:
            _add(errors, "end_date", f"A campaign lasts {MAX_DAYS} days at most.")
    blackouts: list[str] = []
    if not isinstance(campaign.blackout_dates, list):
        _add(errors, "blackout_dates", "Give a list of dates (YYYY-MM-DD).")
    else:
        for raw in campaign.blackout_dates:
            day = _parse_date(raw)
            if day is None:
                _add(errors, "blackout_dates", f"'{raw}' is not a date (YYYY-MM-DD).")
            else:
                blackouts.append(day.isoformat())
        campaign.blackout_dates = sorted(set(blackouts))


def _validate_targets(campaign: Campaign, errors: dict[str, list[str]]) -> None:
    if not isinstance(campaign.kpi_targets, dict) or not all(
        isinstance(k, str)
        and isinstance(v, int | float)
        and not isinstance(v, bool)
        and v >= 0
        for k, v in campaign.kpi_targets.items()
    ):
        _add(
            errors,
            "kpi_targets",
            'Give an object of metric names to numbers, e.g. {"clicks": 500}.',
        )
    if not isinstance(campaign.min_gap_minutes, int) or not (
        0 <= campaign.min_gap_minutes <= 7 * 24 * 60
    ):
        _add(errors, "min_gap_minutes", "Give minutes between 0 and 10080 (a week).")
    campaign.utm_campaign = slugify(campaign.utm_campaign or campaign.name)[:100]


def _validate_cadences(
    campaign: Campaign, cadences: list[Cadence], errors: dict[str, list[str]]
) -> None:
    seen: set[int] = set()
    for cadence in cadences:
        if cadence.account.workspace_id != campaign.workspace_id:
            _add(errors, "channels", "No such channel account in this workspace.")
        if cadence.account.pk in seen:
            _add(errors, "channels", f"{cadence.account} is listed twice.")
        seen.add(cadence.account.pk)
        if not 1 <= cadence.posts_per_week <= 70:
            _add(
                errors,
                "channels",
                f"Posts per week on {cadence.account} must be 1 to 70.",
            )


def _validate_pillars(pillars: list[PillarSpec], errors: dict[str, list[str]]) -> None:
    names: set[str] = set()
    for pillar in pillars:
        name = pillar.name.strip()
        if not name or len(name) > 120:
            _add(errors, "pillars", "Each pillar needs a name (120 characters).")
        if name.casefold() in names:
            _add(errors, "pillars", f"Pillar '{name}' is listed twice.")
        names.add(name.casefold())
        if not isinstance(pillar.weight, int) or not 1 <= pillar.weight <= 100:
            _add(errors, "pillars", f"The weight of '{name}' must be 1 to 100.")


def _assign(campaign: Campaign, data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(SIMPLE_FIELDS))
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in unknown})
    for name, value in data.items():
        if name in ("start_date", "end_date"):
            parsed = _parse_date(value)
            value = parsed if parsed is not None else value
        setattr(campaign, name, value)


def _save(
    campaign: Campaign,
    cadences: list[Cadence] | None,
    pillars: list[PillarSpec] | None,
) -> Campaign:
    try:
        with transaction.atomic():
            campaign.save()
            if cadences is not None:
                _replace_cadences(campaign, cadences)
            if pillars is not None:
                _replace_pillars(campaign, pillars)
    except IntegrityError as exc:
        raise ValidationError(
            {"name": ["This workspace already has a campaign with this name."]}
        ) from exc
    return campaign


def _replace_cadences(campaign: Campaign, cadences: Iterable[Cadence]) -> None:
    wanted = {c.account.pk: c.posts_per_week for c in cadences}
    CampaignChannel.objects.filter(campaign=campaign).exclude(
        account_id__in=wanted
    ).delete()
    existing = {
        c.account_id: c for c in CampaignChannel.objects.filter(campaign=campaign)
    }
    for account_id, per_week in wanted.items():
        row = existing.get(account_id)
        if row is None:
            CampaignChannel.objects.create(
                campaign=campaign, account_id=account_id, posts_per_week=per_week
            )
        elif row.posts_per_week != per_week:
            row.posts_per_week = per_week
            row.save(update_fields=["posts_per_week"])


def _replace_pillars(campaign: Campaign, pillars: Iterable[PillarSpec]) -> None:
    """Match pillars by name so posts keep theirs; drop the ones not listed."""
    wanted = {p.name.strip(): p for p in pillars}
    existing = {p.name: p for p in Pillar.objects.filter(campaign=campaign)}
    Pillar.objects.filter(
        pk__in=[p.pk for n, p in existing.items() if n not in wanted]
    ).delete()
    for name, spec in wanted.items():
        row = existing.get(name) or Pillar(campaign=campaign, name=name)
        row.weight, row.description = spec.weight, spec.description.strip()
        row.save()


def campaign_create(
    *,
    workspace: Workspace,
    by: Principal,
    data: dict[str, Any],
    cadences: list[Cadence] | None = None,
    pillars: list[PillarSpec] | None = None,
) -> Campaign:
    """A draft campaign. The time zone defaults to the workspace's."""
    require(by, Action.EDIT_CONTENT, workspace)
    campaign = Campaign(
        workspace=workspace,
        time_zone=workspace.time_zone,
        created_by=by if isinstance(by, User) else None,
    )
    _assign(campaign, data)
    _validate(campaign, cadences or [], pillars or [])
    return _save(campaign, cadences or [], pillars or [])


def campaign_update(
    *,
    campaign: Campaign,
    by: Principal,
    data: dict[str, Any],
    cadences: list[Cadence] | None = None,
    pillars: list[PillarSpec] | None = None,
) -> Campaign:
    """Change fields; `cadences`/`pillars` replace the lists when given."""
    require(by, Action.EDIT_CONTENT, campaign.workspace)
    _assign(campaign, data)
    _validate(campaign, cadences, pillars)
    return _save(campaign, cadences, pillars)


def campaign_delete(*, campaign: Campaign, by: Principal) -> None:
    """Deleting removes its posts too; published ones keep the campaign alive."""
    from campaigns.models import PostStatus
    from core.errors import ConflictError

    require(by, Action.EDIT_CONTENT, campaign.workspace)
    if campaign.posts.filter(
        status__in=[
            PostStatus.PUBLISHING,
            PostStatus.PUBLISHED,
            PostStatus.PARTLY_PUBLISHED,
        ]
    ).exists():
        raise ConflictError(
            "This campaign has published posts; finish it instead of deleting it.",
            code="in_use",
        )
    campaign.delete()
