"""The editorial calendar: month, week and list views, and drag-and-drop moves.

Days are local days. The visible range is computed in the workspace's zone
with `local_day_bounds` (23- and 25-hour days included), widened by a day so a
post of a campaign in another zone is still fetched, and each post is put on
the day it falls on in its campaign's zone: the day a person planned it on.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns import ical, selectors, services
from campaigns.lifecycle import LOCKED_STATES
from campaigns.models import Campaign, Pillar, Post, PostStatus
from campaigns.views.post_forms import MoveForm
from connections.models import ChannelAccount
from core.errors import ConflictError
from core.timezones import local_day_bounds, local_to_utc, to_local
from workspaces.models import Workspace
from workspaces.permissions import Action, can
from workspaces.views.common import WorkspaceRequest, require, workspace_view

VIEWS = ("month", "week", "list")
FILTERS = ("account", "status", "campaign", "pillar")
HOURS = range(24)
FORBIDDEN = "You are not a member of this workspace."


@dataclass
class Card:
    """One post as the calendar shows it, in its campaign's zone."""

    post: Post
    local: datetime
    draggable: bool

    @property
    def time_label(self) -> str:
        return f"{self.local:%H:%M}"

    @property
    def zone_label(self) -> str:
        return self.local.tzname() or ""

    @property
    def accounts(self) -> list[ChannelAccount]:
        return list(self.post.accounts.all())


@dataclass
class Day:
    day: date
    in_period: bool
    is_today: bool
    cards: list[Card] = field(default_factory=list)

    def at_hour(self, hour: int) -> list[Card]:
        return [c for c in self.cards if c.local.hour == hour]


@dataclass(frozen=True)
class Period:
    view: str
    anchor: date
    first: date  # first and last day shown
    last: date
    title: str
    previous: date
    following: date

    @property
    def days(self) -> list[date]:
        return [
            self.first + timedelta(days=i)
            for i in range((self.last - self.first).days + 1)
        ]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _period(view: str, anchor: date) -> Period:
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        title = f"{first:%-d %b} to {last:%-d %b %Y}"
        return Period(
            view,
            anchor,
            first,
            last,
            title,
            anchor - timedelta(days=7),
            anchor + timedelta(days=7),
        )
    month_first = anchor.replace(day=1)
    month_last = month_first.replace(
        day=pycalendar.monthrange(anchor.year, anchor.month)[1]
    )
    previous = (month_first - timedelta(days=1)).replace(day=1)
    following = month_last + timedelta(days=1)
    if view == "list":
        first, last = month_first, month_last
    else:  # whole weeks, Monday first
        first = month_first - timedelta(days=month_first.weekday())
        last = month_last + timedelta(days=6 - month_last.weekday())
    return Period(view, anchor, first, last, f"{anchor:%B %Y}", previous, following)


def _query(params: dict[str, Any], **changes: Any) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _filters(request: WorkspaceRequest) -> dict[str, str]:
    """The filters the query string gives, an invalid one as none."""
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    if filters["status"] not in PostStatus.values:
        filters["status"] = ""
    for name in ("account", "campaign", "pillar"):
        if _int(filters[name]) is None:
            filters[name] = ""
    return filters


def _days(
    workspace: Workspace,
    period: Period,
    anchor: date,
    today: date,
    filters: dict[str, str],
    may_edit: bool,
) -> tuple[list[Day], int]:
    """The period's days with their posts' cards, and how many cards."""
    view = period.view
    start = local_day_bounds(period.first, workspace.time_zone)[0] - timedelta(days=1)
    end = local_day_bounds(period.last, workspace.time_zone)[1] + timedelta(days=1)
    posts = selectors.calendar_posts(
        workspace,
        start=start,
        end=end,
        account=_int(filters["account"]),
        status=filters["status"] or None,
        campaign=_int(filters["campaign"]),
        pillar=_int(filters["pillar"]),
    )
    days = {
        d: Day(d, view != "month" or d.month == anchor.month, d == today)
        for d in period.days
    }
    shown = 0
    for post in posts:
        assert post.scheduled_at is not None
        local = to_local(post.scheduled_at, post.campaign.time_zone)
        day = days.get(local.date())
        if day is None:
            continue
        draggable = may_edit and post.status not in LOCKED_STATES
        day.cards.append(Card(post, local, draggable))
        shown += 1
    return list(days.values()), shown


def _context(request: WorkspaceRequest, workspace: Workspace) -> dict[str, Any]:
    view = request.GET.get("view")
    view = view if view in VIEWS else "month"
    today = to_local(datetime.now().astimezone(), workspace.time_zone).date()
    try:
        anchor = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = today
    period = _period(view, anchor)
    filters = _filters(request)
    may_edit = can(request.user, Action.EDIT_CONTENT, workspace)
    ordered, shown = _days(workspace, period, anchor, today, filters, may_edit)
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]

    campaigns = list(Campaign.objects.filter(workspace=workspace).order_by("name"))
    pillars = Pillar.objects.filter(campaign__workspace=workspace).select_related(
        "campaign"
    )
    if filters["campaign"]:
        pillars = pillars.filter(campaign_id=filters["campaign"])
    state = {"view": view, "date": anchor.isoformat(), **filters}
    may_manage = can(request.user, Action.MANAGE_WORKSPACE, workspace)
    return {
        "section": "calendar",
        "workspace": workspace,
        "period": period,
        "view": view,
        "weeks": weeks,
        "days": ordered,
        "list_days": [d for d in ordered if d.cards],
        "hours": HOURS,
        "shown": shown,
        "filters": filters,
        "filtered": any(filters.values()),
        "accounts": ChannelAccount.objects.filter(workspace=workspace),
        "campaigns": campaigns,
        "pillars": pillars,
        "statuses": PostStatus.choices,
        "may_edit": may_edit,
        "may_manage": may_manage,
        "links": {
            "previous": _query(state, date=period.previous.isoformat()),
            "next": _query(state, date=period.following.isoformat()),
            "today": _query(state, date=today.isoformat()),
            "clear": _query({"view": view, "date": anchor.isoformat()}),
        },
        "view_links": [(v, v.capitalize(), _query(state, view=v)) for v in VIEWS],
        "feed_url": request.build_absolute_uri(
            reverse("calendar-feed", args=[ical.feed_token(workspace)])
        ),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }


@workspace_view
def calendar(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.VIEW, FORBIDDEN)
    return render(request, "campaigns/calendar/page.html", _context(request, workspace))


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
@workspace_view
def move(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Drop a card on a day (and an hour in the week view): same local time there.

    The new instant is the post's local wall-clock time on the target day in
    its campaign's zone (so 09:00 stays 09:00 across a DST change); a time that
    does not exist that day is refused. The service applies the API's rules
    (campaign dates, blackout days, locked states). Answers JSON for the script.
    """
    workspace: Workspace = request.workspace
    post = get_object_or_404(
        Post.objects.filter(workspace=workspace).select_related(
            "campaign", "workspace"
        ),
        pk=pk,
    )
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _error("Give the target day as YYYY-MM-DD.", 400)
    if post.scheduled_at is None:
        return _error("This post has no time yet; open it to set one.", 400)
    tz = post.campaign.time_zone
    local = to_local(post.scheduled_at, tz).replace(tzinfo=None)
    target = datetime.combine(form.cleaned_data["date"], local.time())
    if form.cleaned_data["hour"] is not None:
        target = target.replace(hour=form.cleaned_data["hour"])
    try:
        when = local_to_utc(target, tz)
        services.posts.post_reschedule(post=post, by=request.user, when=when)
    except ValidationError as error:
        return _error(" ".join(error.messages), 400)
    except ConflictError as error:
        return _error(str(error), 409)
    except PermissionDenied:
        return _error("Your role does not allow moving posts.", 403)
    new_local = to_local(when, tz)
    return JsonResponse(
        {
            "id": post.pk,
            "date": new_local.date().isoformat(),
            "time": f"{new_local:%H:%M}",
            "zone": new_local.tzname(),
            "scheduled_at": when.isoformat(),
            "status": post.status,
            "message": f"Moved to {new_local:%a %-d %b, %H:%M} ({new_local.tzname()}).",
        }
    )
