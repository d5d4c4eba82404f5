"""Local times to UTC around Berlin's DST changes (2025-03-30 and 2025-10-26)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from core.timezones import (
    Ambiguous,
    Nonexistent,
    is_ambiguous,
    is_nonexistent,
    local_day_bounds,
    local_to_utc,
    slot_to_utc,
    to_local,
    zone,
)

BERLIN = "Europe/Berlin"
SPRING = date(2025, 3, 30)  # 02:00 -> 03:00
AUTUMN = date(2025, 10, 26)  # 03:00 -> 02:00


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_spring_forward_0230_does_not_exist_and_is_refused_by_default():
    local = datetime.combine(SPRING, time(2, 30))
    assert is_nonexistent(local, zone(BERLIN))
    with pytest.raises(ValidationError) as caught:
        local_to_utc(local, BERLIN)
    assert caught.value.code == "nonexistent_time"
    assert "02:30 does not exist on 2025-03-30" in caught.value.messages[0]


def test_spring_forward_0230_shifts_to_0330_when_asked():
    local = datetime.combine(SPRING, time(2, 30))
    at = local_to_utc(local, BERLIN, nonexistent=Nonexistent.SHIFT_FORWARD)
    assert at == _utc(2025, 3, 30, 1, 30)
    assert to_local(at, BERLIN).time() == time(3, 30)
    assert slot_to_utc(SPRING, time(2, 30), BERLIN) == at


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (Ambiguous.EARLIER, _utc(2025, 10, 26, 0, 30)),  # still summer time, +02
        (Ambiguous.LATER, _utc(2025, 10, 26, 1, 30)),  # winter time, +01
    ],
)
def test_fall_back_0230_is_ambiguous_and_the_policy_picks_one(policy, expected):
    local = datetime.combine(AUTUMN, time(2, 30))
    assert is_ambiguous(local, zone(BERLIN))
    assert local_to_utc(local, BERLIN, ambiguous=policy) == expected


def test_fall_back_0230_is_refused_when_asked_to_raise():
    local = datetime.combine(AUTUMN, time(2, 30))
    with pytest.raises(ValidationError) as caught:
        local_to_utc(local, BERLIN, ambiguous=Ambiguous.RAISE)
    assert caught.value.code == "ambiguous_time"


def test_the_planner_takes_the_earlier_of_an_ambiguous_time():
    assert slot_to_utc(AUTUMN, time(2, 30), BERLIN) == _utc(2025, 10, 26, 0, 30)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2025, 3, 29), 8),  # CET, +01
        (date(2025, 3, 30), 7),  # CEST from 03:00 that night, +02
        (date(2025, 3, 31), 7),
        (date(2025, 10, 25), 7),
        (date(2025, 10, 26), 8),  # back to CET
        (date(2025, 10, 27), 8),
    ],
)
def test_nine_oclock_berlin_stays_nine_oclock_local_across_dst(day, utc_hour):
    at = slot_to_utc(day, time(9, 0), BERLIN)
    assert at.hour == utc_hour
    assert to_local(at, BERLIN).replace(tzinfo=None) == datetime.combine(
        day, time(9, 0)
    )


def test_a_spring_forward_day_lasts_23_hours():
    start, end = local_day_bounds(SPRING, BERLIN)
    assert start == _utc(2025, 3, 29, 23, 0)
    assert end - start == timedelta(hours=23)


def test_a_fall_back_day_lasts_25_hours():
    start, end = local_day_bounds(AUTUMN, BERLIN)
    assert start == _utc(2025, 10, 25, 22, 0)
    assert end - start == timedelta(hours=25)


def test_an_ordinary_day_lasts_24_hours():
    start, end = local_day_bounds(date(2025, 7, 1), BERLIN)
    assert end - start == timedelta(hours=24)


def test_an_unknown_zone_is_a_validation_error_naming_it():
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        zone("Mars/Olympus")
