"""`core.retry_after`: one reading of `Retry-After` for every outbound caller
(seconds or an HTTP date, clamped, None for what cannot be read)."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from core.retry_after import MAX_SECONDS, retry_after_seconds

NOW = 1_800_000_000.0  # a fixed clock: 2027-01-15T08:00:00Z


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 42 ", 42.0), ("0", 0.0), ("0.6", 0.6), ("120", 120.0)],
)
def test_delta_seconds_are_read_as_seconds(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


def test_an_http_date_is_the_seconds_until_it() -> None:
    value = formatdate(NOW + 90, usegmt=True)  # "Fri, 15 Jan 2027 08:01:30 GMT"
    assert retry_after_seconds(value, now=NOW) == 90.0


def test_a_date_without_a_zone_is_utc_not_local_time() -> None:
    value = formatdate(NOW + 30, usegmt=True).replace("GMT", "-0000")
    assert retry_after_seconds(value, now=NOW) == 30.0


def test_the_clock_is_used_when_no_time_is_given() -> None:
    wait = retry_after_seconds(formatdate(localtime=False, usegmt=True))
    assert wait is not None and 0.0 <= wait <= 1.0


@pytest.mark.parametrize("value", ["-5", formatdate(NOW - 3600, usegmt=True)])
def test_a_wait_in_the_past_is_no_wait(value: str) -> None:
    assert retry_after_seconds(value, now=NOW) == 0.0


@pytest.mark.parametrize("value", [str(10 * 24 * 3600), "1e12"])
def test_a_huge_wait_is_clamped_to_a_day(value: str) -> None:
    assert retry_after_seconds(value, now=NOW) == MAX_SECONDS


def test_the_ceiling_can_be_lowered() -> None:
    assert retry_after_seconds("600", now=NOW, ceiling=30.0) == 30.0


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "nan", "inf", "1e999", "-inf", "Mon, 99 Foo"]
)
def test_garbage_or_absent_is_none(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) is None
