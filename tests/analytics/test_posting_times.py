"""The posting-time model: per-network priors behind a pluggable interface."""

from __future__ import annotations

from datetime import date, time

import pytest

from analytics import posting_times
from analytics.posting_times import (
    PRIORS,
    PostingTimeModel,
    PriorPostingTimeModel,
    Slot,
    best_slots,
)
from connections.models import ChannelAccount, Network

MONDAY = date(2025, 3, 24)


def _account(network: str) -> ChannelAccount:
    return ChannelAccount(network=network, name=f"{network} account")


def test_every_network_has_a_prior_with_its_source():
    assert set(PRIORS) == set(Network.values)
    for prior in PRIORS.values():
        assert prior.source and prior.summary
        assert max(prior.hours) == 1.0 and max(prior.weekdays) == 1.0


@pytest.mark.parametrize("network", Network.values)
def test_prior_slots_are_scored_sorted_and_explained(network):
    slots = best_slots(_account(network), MONDAY, "Europe/Berlin")
    assert len(slots) == 7 * 30  # every half hour from 07:00 to 21:30
    assert all(0 <= s.score <= 1 for s in slots)
    assert slots[0].score == 1.0
    assert [s.score for s in slots] == sorted((s.score for s in slots), reverse=True)
    assert len({(s.weekday, s.time) for s in slots}) == len(slots)
    assert all(
        "source:" in s.reason and "no engagement data" in s.reason for s in slots
    )


def test_linkedin_prefers_weekday_mornings_to_weekends():
    slots = best_slots(_account("linkedin"), MONDAY, "UTC", limit=10)
    assert len(slots) == 10
    assert all(s.weekday < 5 and time(9) <= s.time <= time(12) for s in slots)
    scores = {
        (s.weekday, s.time): s.score
        for s in best_slots(_account("linkedin"), MONDAY, "UTC")
    }
    assert scores[(1, time(10))] > scores[(6, time(10))]


def test_a_week_starts_on_monday():
    with pytest.raises(ValueError, match="not a Monday"):
        best_slots(_account("x"), date(2025, 3, 25), "UTC")


class _Fitted:
    key = "fitted"

    def best_slots(self, account, week_start, tz, *, limit=None):
        return [Slot(2, time(18, 0), 0.8, f"fitted for {account.name} in {tz}")]


def test_a_fitted_model_plugs_in_through_settings(settings):
    settings.POSTING_TIME_MODEL = f"{__name__}._Fitted"
    assert isinstance(posting_times.get_model(), _Fitted)
    assert best_slots(_account("x"), MONDAY, "Europe/Berlin")[0].reason == (
        "fitted for x account in Europe/Berlin"
    )


def test_the_default_is_the_prior_model_and_both_satisfy_the_protocol(settings):
    settings.POSTING_TIME_MODEL = ""
    assert isinstance(posting_times.get_model(), PriorPostingTimeModel)
    assert isinstance(PriorPostingTimeModel(), PostingTimeModel)
    assert isinstance(_Fitted(), PostingTimeModel)
