"""Which stored rendition of an image goes out to a network: its own cut, else a
generic one, each in the network's preferred format order; None: the original.

One rule for the publisher (`publishing.delivery.media_for`), the approval
card's preview (`workflow.review_outgoing`) and the size check before a post
moves on (`content.services.copy_checks`), so what a reviewer sees and what
the checks measure is the file that is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from networks import registry
from networks.profile import DEFAULT_FORMATS


class _Cut(Protocol):
    network: str
    format: str


R = TypeVar("R", bound=_Cut)


def format_order(network: str) -> tuple[str, ...]:
    """The network's preferred formats first, then every other in the default order."""
    return registry.preferred_formats().get(network, ()) + DEFAULT_FORMATS


def rendition_for(renditions: Iterable[R], network: str) -> R | None:
    """The rendition `network` gets out of an asset's `renditions`, or None."""
    order = format_order(network)
    stored = list(renditions)
    for wanted in (network, ""):
        mine = [r for r in stored if r.network == wanted]
        if mine:
            return min(
                mine, key=lambda r: order.index(r.format) if r.format in order else 99
            )
    return None
