"""An account's audience as the accounts API shows it (an email newsletter's
subscribers per status).

The subscribers are publishing's (the newsletter sends to them), and this layer
sits below publishing, so publishing registers the counter in its
`AppConfig.ready()`; until then (or for a network without an audience) the
answer is None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

AudienceCounter = Callable[[Iterable[int]], dict[int, dict[str, int]]]

_counter: list[AudienceCounter] = []


def register_audience_counter(counter: AudienceCounter) -> None:
    """The one counter of subscribers per status; registering again replaces it
    (AppConfig.ready may run more than once in tests)."""
    _counter[:] = [counter]


def audience_counts(account_ids: Iterable[int]) -> dict[int, dict[str, int]] | None:
    """Subscribers per status for each account, or None when nobody counts them."""
    if not _counter:
        return None
    return _counter[0](account_ids)
