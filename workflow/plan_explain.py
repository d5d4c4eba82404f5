""" "Why this slot and pillar", said for a marketer and true for the post's
current time.

The planner stores its reasons in `Post.plan_reason` (the slot it chose, the
pillar's share, the topic's source). The slot text is computed when shown,
from the post's CURRENT time: "Thursday 10:00 is among the best times for
Bluesky audiences in Europe/Berlin (...)". After a person moves a post, it
says so first ("Moved by Mara Lindqvist from Tue 8 Dec, 10:00."), from the
note `campaigns.services.posts.record_move` leaves when the time changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.posting_times import describe_time
from campaigns.models import Post
from core.timezones import to_local


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _short(local: datetime) -> str:
    return f"{local:%a %-d %b, %H:%M}"


def slot_text(post: Post) -> str:
    """The slot's reason for the post's current time ("" without a time)."""
    if post.scheduled_at is None:
        return ""
    tz = post.campaign.time_zone
    local = to_local(post.scheduled_at, tz)
    account = post.accounts.order_by("network", "name", "pk").first()
    quality = describe_time(account, local, tz) if account is not None else ""
    reason: dict[str, Any] = (
        post.plan_reason if isinstance(post.plan_reason, dict) else {}
    )
    raw_slot = reason.get("slot")
    slot: dict[str, Any] = raw_slot if isinstance(raw_slot, dict) else {}
    planned = _parse(slot.get("local_time"))
    moved = reason.get("moved") if isinstance(reason.get("moved"), dict) else None
    if planned is None or planned == post.scheduled_at:
        return quality
    before = _parse(moved.get("from")) if moved else None
    if moved and before is not None:
        lead = f"Moved by {moved.get('by')} from {_short(to_local(before, tz))}."
    else:
        lead = f"Moved from {_short(to_local(planned, tz))}, the planner's suggestion."
    return f"{lead} {quality}".strip()


def explain(post: Post) -> list[tuple[str, str]]:
    """The rows of the "Why this slot and pillar" card, for a marketer."""
    reason = post.plan_reason if isinstance(post.plan_reason, dict) else {}
    rows: list[tuple[str, str]] = []
    when = slot_text(post) if reason.get("slot") else ""
    if when:
        rows.append(("When", when))
    for key, label in (("pillar", "Pillar"), ("topic", "Topic")):
        value = reason.get(key)
        if isinstance(value, str) and value:
            rows.append((label, value))
    return rows
