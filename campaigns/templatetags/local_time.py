"""Times as a person reads them: in the workspace's zone, with the zone named.

The middleware makes the workspace's zone Django's current zone for each UI
request (`workspaces.middleware`); these filters render an instant in it and say
which zone that is, so no page shows a bare "10:00" or a UTC time a marketer
has to convert:

    {{ post.scheduled_at|when }}         Fri 18 Dec 2026, 10:00 CET
    {{ post.scheduled_at|when:"long" }}  Fri 18 Dec 2026, 10:00 CET (Europe/Berlin)
    {{ edit.at|when:"medium" }}          18 Dec 2026, 10:00 CET
    {{ comment.created_at|when:"short" }} 18 Dec, 10:00 CET
    {{ invitation.expires_at|when:"date" }} 18 Dec 2026
    {{ key.last_used_at|ago }}           3 hours ago

Each renders a `<time>` element whose `datetime` is the instant with its offset
and whose tooltip names the zone and its offset from UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from django import template
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from core.timezones import zone

register = template.Library()

_FORMATS = {
    "default": "%a %-d %b %Y, %H:%M",
    "long": "%a %-d %b %Y, %H:%M",
    "medium": "%-d %b %Y, %H:%M",
    "short": "%-d %b, %H:%M",
    "time": "%H:%M",
    "date": "%-d %b %Y",
}


def _offset(local: datetime) -> str:
    """ "UTC+01:00", "UTC-03:00", or "UTC" for no offset."""
    delta = local.utcoffset()
    if not delta:
        return "UTC"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_abbreviation(local: datetime) -> str:
    """ "CET", "EDT", "UTC"; zones without a letter abbreviation in the zone
    database ("+0530", "-03") read as their offset instead ("UTC+05:30")."""
    name = local.tzname() or ""
    if not name or name[0] in "+-" or name.isdigit():
        return _offset(local)
    return name


def zone_name(tz: tzinfo | None) -> str:
    """The IANA name ("Europe/Berlin") of a zone, "UTC" for UTC."""
    return getattr(tz, "key", None) or str(tz)


def localize(value: datetime, tz: tzinfo | str | None = None) -> datetime:
    """`value` in `tz` (a name or a zone), by default the current zone."""
    if isinstance(tz, str):
        tz = zone(tz)
    tz = tz or timezone.get_current_timezone()
    if timezone.is_naive(value):  # never stored so; read as UTC, not guessed
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz)


def describe(
    value: datetime, style: str = "default", tz: tzinfo | str | None = None
) -> str:
    """The plain text of `when`: "Fri 18 Dec 2026, 10:00 CET" and the like."""
    local = localize(value, tz)
    text = f"{local:{_FORMATS.get(style, _FORMATS['default'])}}"
    if style == "date":
        return text
    text = f"{text} {zone_abbreviation(local)}"
    if style == "long":
        text = f"{text} ({zone_name(local.tzinfo)})"
    return text


def _tooltip(local: datetime) -> str:
    return f"{local:%A %-d %B %Y, %H:%M} {zone_name(local.tzinfo)} ({_offset(local)})"


@register.filter(is_safe=True)
def when(value: datetime | None, style: str = "default") -> SafeString | str:
    """A `<time>` in the current zone, the zone named; empty for no time."""
    if not isinstance(value, datetime):
        return ""
    return _time_tag(value, describe(value, style))


@register.filter
def also_in(value: datetime | None, tz_name: str) -> str:
    """`value` as text in another zone (a campaign's), or "" when that is the
    current zone or not a zone: for "… 04:00 EST in the campaign's zone"."""
    if not isinstance(value, datetime) or not tz_name:
        return ""
    if tz_name == zone_name(timezone.get_current_timezone()):
        return ""
    try:
        return describe(value, "long", tz_name)
    except ValidationError:
        return ""


@register.filter(is_safe=True)
def ago(value: datetime | None) -> SafeString | str:
    """ "3 hours ago", with the exact time in the current zone as the tooltip."""
    if not isinstance(value, datetime):
        return ""
    return _time_tag(value, f"{timesince(value)} ago")


def _time_tag(value: datetime, text: str) -> SafeString:
    """`text` in a `<time>` carrying the instant and, as its tooltip, the
    current zone's name and offset."""
    local = localize(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        _tooltip(local),
        text,
    )


@register.simple_tag
def current_zone() -> str:
    """The current zone's IANA name, for "Times shown in …" notes."""
    return zone_name(timezone.get_current_timezone())
