"""Local wall-clock times to UTC, with the DST edge cases made explicit.

Posts are stored in UTC and planned in the campaign's zone. A post planned at
09:00 Europe/Berlin is due at 09:00 local on both sides of a DST change because
each date's local time is converted on its own (never "UTC time + 7 days").

Two local times need a decision:
- nonexistent (the skipped hour: 02:30 on the spring-forward night in Berlin).
  A person's input is refused with a message naming the gap; the planner shifts
  the slot forward by the gap's length (02:30 -> 03:30), as the clock would.
- ambiguous (the repeated hour: 02:30 on the fall-back night happens twice).
  The earlier of the two is taken unless the caller asks for the later one;
  API clients avoid the question by sending an offset.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError


class Nonexistent(enum.StrEnum):
    RAISE = "raise"
    SHIFT_FORWARD = "shift_forward"


class Ambiguous(enum.StrEnum):
    RAISE = "raise"
    EARLIER = "earlier"
    LATER = "later"


def zone(name: str) -> ZoneInfo:
    """The zone for an IANA name; a `ValidationError` naming it otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"'{name}' is not a time zone name (use e.g. Europe/Berlin).",
            code="invalid_time_zone",
        ) from exc


def is_nonexistent(local: datetime, tz: ZoneInfo) -> bool:
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(
        tzinfo=None, fold=0
    )


def is_ambiguous(local: datetime, tz: ZoneInfo) -> bool:
    naive = local.replace(tzinfo=None)
    return not is_nonexistent(naive, tz) and (
        naive.replace(fold=0, tzinfo=tz).utcoffset()
        != naive.replace(fold=1, tzinfo=tz).utcoffset()
    )


def local_to_utc(
    local: datetime,
    tz: ZoneInfo | str,
    *,
    nonexistent: Nonexistent = Nonexistent.RAISE,
    ambiguous: Ambiguous = Ambiguous.EARLIER,
) -> datetime:
    """The UTC instant of a naive local wall-clock time in `tz`."""
    tz = zone(tz) if isinstance(tz, str) else tz
    naive = local.replace(tzinfo=None, fold=0)
    if is_nonexistent(naive, tz):
        if nonexistent == Nonexistent.RAISE:
            raise ValidationError(
                f"{naive:%H:%M} does not exist on {naive:%Y-%m-%d} in {tz.key}: the "
                "clocks jump forward over it. Pick a time outside the skipped hour.",
                code="nonexistent_time",
            )
        # fold=0 reads the wall time with the offset from before the jump, which
        # lands the same distance past the jump: 02:30 becomes 03:30.
        return naive.replace(tzinfo=tz).astimezone(UTC)
    if is_ambiguous(naive, tz):
        if ambiguous == Ambiguous.RAISE:
            raise ValidationError(
                f"{naive:%H:%M} happens twice on {naive:%Y-%m-%d} in {tz.key} (the "
                "clocks go back). Give a UTC offset to say which one.",
                code="ambiguous_time",
            )
        fold = 1 if ambiguous == Ambiguous.LATER else 0
        return naive.replace(fold=fold, tzinfo=tz).astimezone(UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def slot_to_utc(day: date, at: time, tz: ZoneInfo | str) -> datetime:
    """The planner's conversion: never fails, shifts over gaps, takes the earlier."""
    return local_to_utc(
        datetime.combine(day, at),
        tz,
        nonexistent=Nonexistent.SHIFT_FORWARD,
        ambiguous=Ambiguous.EARLIER,
    )


def to_local(instant: datetime, tz: ZoneInfo | str) -> datetime:
    tz = zone(tz) if isinstance(tz, str) else tz
    return instant.astimezone(tz)


def local_day_bounds(day: date, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts.

    A local day is 23 or 25 hours long on DST nights; calendar queries use
    these bounds rather than "midnight UTC + 24 h".
    """
    tz = zone(tz) if isinstance(tz, str) else tz
    start = slot_to_utc(day, time(0, 0), tz)
    end = slot_to_utc(day + timedelta(days=1), time(0, 0), tz)
    return start, end
