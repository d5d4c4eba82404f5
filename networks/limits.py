"""One channel account's limits, and what a post's copy and images break.

The numbers come from `networks.textrules.RULES` (the connectors'
capabilities mirror them, a test keeps the two equal), replaced where an
account sets its own (a Mastodon instance's `max_characters`,
`max_media_attachments` and `image_size_limit`, stored on the account as
`ChannelAccount.limits` when "Test connection" reads them). The text messages
are `channel_rules.limit_violations`'; the image ones are written here, once.

Plain Python, no Django: the services, the editor and the tests call it with
plain values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from networks.textrules import (
    Violation,
    limit_violations,
    network_name,
    rules_for,
)

# The keys of `ChannelAccount.limits` (what an account may set for itself).
ACCOUNT_LIMIT_KEYS = ("max_length", "max_images", "max_image_bytes")


@dataclass(frozen=True)
class Limits:
    """The limits copy for one account must meet. `own` lists the ones the
    account set itself (so a message can say whose limit it is)."""

    network: str
    max_length: int | None
    max_images: int | None
    max_image_bytes: int | None
    own: frozenset[str] = frozenset()
    account_name: str = ""

    @property
    def channel(self) -> str:
        """How messages name the channel: the account where the limit is its own."""
        name = network_name(self.network)
        if self.own and self.account_name:
            return f"{name} ({self.account_name})"
        return name


def _positive(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return int(value)


def clean_account_limits(values: Mapping[str, Any] | None) -> dict[str, int]:
    """The valid entries of an account's own limits (positive integers under
    the known keys); anything else is dropped."""
    out: dict[str, int] = {}
    for key in ACCOUNT_LIMIT_KEYS:
        number = _positive((values or {}).get(key))
        if number is not None:
            out[key] = number
    return out


def limits_for(
    network: str, own: Mapping[str, Any] | None = None, *, account_name: str = ""
) -> Limits:
    """The network's limits with the account's own (`own`) in their place."""
    rules = rules_for(network)
    mine = clean_account_limits(own)
    defaults = {
        "max_length": rules.max_length,
        "max_images": rules.max_images,
        "max_image_bytes": rules.max_image_bytes,
    }
    return Limits(
        network=network,
        max_length=mine.get("max_length", rules.max_length),
        max_images=mine.get("max_images", rules.max_images),
        max_image_bytes=mine.get("max_image_bytes", rules.max_image_bytes),
        # Only a limit that differs from the network's is named as the account's.
        own=frozenset(k for k, v in mine.items() if v != defaults[k]),
        account_name=account_name,
    )


def text_violations(text: str, limits: Limits) -> list[Violation]:
    """What the text breaks for this account (each part of a thread alone)."""
    channel = limits.channel if "max_length" in limits.own else None
    return limit_violations(
        text, network=limits.network, max_length=limits.max_length, channel=channel
    )


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1_048_576:.1f} MB"
    return f"{size / 1000:,.0f} kB"


def image_violations(sizes: Sequence[int], limits: Limits) -> list[Violation]:
    """What the post's images break: their count, and each one's size in bytes
    (`sizes`, in the order they go out)."""
    out: list[Violation] = []
    if limits.max_images is not None and len(sizes) > limits.max_images:
        channel = limits.channel if "max_images" in limits.own else None
        name = channel or network_name(limits.network)
        noun = "image" if limits.max_images == 1 else "images"
        out.append(
            Violation(
                "too_many_images",
                f"Too many images for {name}: {len(sizes)} of "
                f"{limits.max_images} {noun} ({len(sizes) - limits.max_images} "
                "over).",
            )
        )
    if limits.max_image_bytes is not None:
        channel = limits.channel if "max_image_bytes" in limits.own else None
        name = channel or network_name(limits.network)
        for number, size in enumerate(sizes, start=1):
            if size > limits.max_image_bytes:
                out.append(
                    Violation(
                        "image_too_large",
                        f"Image {number} is too large for {name}: "
                        f"{_megabytes(size)} of {_megabytes(limits.max_image_bytes)}"
                        " at most.",
                    )
                )
    return out
