"""What one post looks like on one network, as its connector will send it.

The approval card shows this, so a reviewer approves the words, images and link
that go out, not a summary. It follows what `publishing.build_request` and each
connector do with a request (no database, no network):

- text: a `---` line splits a thread (`publishing.split_thread`); networks whose
  connector posts threads get the parts, the others one text with the parts
  joined by a blank line;
- link: X, LinkedIn, email and WordPress add the post's link at the end of the
  (first) text unless the copy carries it (`apicall.with_link`); Facebook does
  so when images go out, else sends it as a link field (a preview card);
  Bluesky makes a card (title: the post's topic) when no images go out and
  drops it otherwise; Mastodon and Instagram send only the text; the webhook
  sends it as its own field;
- images: the post's chosen images in order, at most the connector's
  `max_images` (none for email);
- a blog's tags and categories where the connector says `terms` (WordPress).

Each network's profile declares its part (`Profile.link`, `titled`,
`without_images`; `networks.<key>.profile`), so no network is named here.
`tests/channels/test_preview.py` holds each rule to the connector's own code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from networks import ConnectorNotAvailable, get_connector, registry
from networks.apicall import with_link
from networks.profile import (
    LINK_APPENDED,
    LINK_APPENDED_WITH_IMAGES,
    LINK_CARD_WITHOUT_IMAGES,
    LINK_FIELD,
    LINK_TEXT_ONLY,
)
from publishing.delivery import split_thread

# How a network's connector carries the post's link (see the module docstring).
IN_TEXT, CARD, FIELD, NOT_SENT = "in_text", "card", "field", "not_sent"
# The post's topic goes out as the subject or title here.
TITLED = frozenset(k for k, p in registry.profiles().items() if p.titled)


@dataclass(frozen=True)
class ImageOut:
    """One image as the reviewer sees it: a thumbnail and the alt text sent."""

    asset_id: int
    thumb_url: str
    full_url: str
    alt_text: str
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class LinkOut:
    """The post's link and how this network shows it."""

    url: str
    domain: str
    title: str
    mode: str  # IN_TEXT, CARD, FIELD or NOT_SENT

    @property
    def note(self) -> str:
        return {
            IN_TEXT: "In the text; the network may show a preview card.",
            CARD: "Sent as a link preview card.",
            FIELD: "Sent as the link field beside the text.",
            NOT_SENT: "Not sent: this network gets only the text and images.",
        }[self.mode]


@dataclass(frozen=True)
class ChannelOut:
    """Everything that goes out on one network for one post."""

    network: str
    parts: tuple[str, ...]
    title: str = ""
    link: LinkOut | None = None
    images: tuple[ImageOut, ...] = ()
    images_left_out: int = 0
    notes: tuple[str, ...] = field(default=())
    # A blog's tags and categories where the connector sends them (WordPress).
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def is_thread(self) -> bool:
        return len(self.parts) > 1


def _capabilities(network: str) -> dict[str, Any]:
    """The connector's capabilities as a dict; empty without a connector."""
    try:
        return dict(vars(get_connector(network).capabilities))
    except (ConnectorNotAvailable, ImportError, AttributeError):
        return {}


def _link_of(network: str) -> str:
    """How the network's connector carries a post's link (its profile says)."""
    profile = registry.profile(network)
    return profile.link if profile is not None else LINK_TEXT_ONLY


def _link_mode(how: str, link: str, text: str, images: bool) -> str:
    if how == LINK_APPENDED:
        return IN_TEXT
    if how == LINK_APPENDED_WITH_IMAGES:
        return IN_TEXT if images else CARD
    if how == LINK_FIELD:
        return FIELD
    if link in text:
        return IN_TEXT
    if how == LINK_CARD_WITHOUT_IMAGES and not images:
        return CARD
    return NOT_SENT


def channel_out(
    *,
    network: str,
    text: str,
    link: str = "",
    title: str = "",
    images: Sequence[ImageOut] = (),
    terms: Mapping[str, Sequence[str]] | None = None,
) -> ChannelOut:
    """The text parts, link and images `network`'s connector sends for a post
    whose copy is `text`, with `link`, topic `title` and chosen `images`;
    `terms` ({"tags": [...], "categories": [...]}, `campaigns.terms.terms_for`)
    where the network takes them."""
    caps = _capabilities(network)
    max_images = caps.get("max_images")
    sent = tuple(images if max_images is None else images[:max_images])
    parts = split_thread(text)
    if not caps.get("threads"):
        parts = ["\n\n".join(parts)]
    link = (link or "").strip()
    notes: list[str] = []
    out_link = None
    if link:
        how = _link_of(network)
        mode = _link_mode(how, link, text, bool(sent))
        if how == LINK_APPENDED or (how == LINK_APPENDED_WITH_IMAGES and sent):
            # the connector's own rule: added to the first part unless there
            parts[0] = with_link(parts[0], link)
        host = urlsplit(link).hostname or link
        out_link = LinkOut(
            url=link,
            domain=host.removeprefix("www."),
            title=title if mode == CARD else "",
            mode=mode,
        )
    if len(images) > len(sent):
        notes.append(
            f"{len(images) - len(sent)} of the post's {len(images)} images "
            "are not sent here" + (f" (at most {max_images})." if max_images else ".")
        )
    if not caps:
        notes.append("AdLoop has no connector for this network yet.")
    profile = registry.profile(network)
    if profile is not None and profile.without_images and not sent:
        # the connector's own validate refuses it at publish time
        notes.append(profile.without_images)
    return ChannelOut(
        network=network,
        parts=tuple(parts),
        title=title if network in TITLED else "",
        link=out_link,
        images=sent,
        images_left_out=len(images) - len(sent),
        notes=tuple(notes),
        tags=tuple((terms or {}).get("tags", ())) if caps.get("terms") else (),
        categories=tuple((terms or {}).get("categories", ()))
        if caps.get("terms")
        else (),
    )
