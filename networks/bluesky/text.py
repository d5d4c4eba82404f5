"""What Bluesky needs from the text: deterministic record keys (`rkey_for`)
and facets (links, mentions resolved to DIDs, hashtags) with UTF-8 byte
offsets."""

from __future__ import annotations

import hashlib
from typing import Any

import regex

from networks.base import ConnectorError
from networks.bluesky.xrpc import XrpcClient
from networks.textrules import ANY_URL_RE, HASHTAG_RE, graphemes

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Deterministic TIDs carry a made-up time inside 2023 (never ahead of the real
# clock, where a later real TID of the account could collide with it).
_TID_EPOCH_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z
_TID_SPAN_US = 1 << 44  # about 203 days

# A handle: dot-separated DNS labels, the last one alphabetic (the atproto spec).
MENTION_RE = regex.compile(
    r"(?<![\w@./])@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)",
    regex.IGNORECASE,
)


def rkey_for(idempotency_key: str, part: int = 0) -> str:
    """The record key of one part of a publication: a TID (13 base32-sortable
    characters, the form `app.bsky.feed.post` requires) computed from the
    idempotency key, so every try of a publication names the same record."""
    seed = idempotency_key if part == 0 else f"{idempotency_key}#{part}"
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    micros = _TID_EPOCH_US + (digest >> 10) % _TID_SPAN_US
    value = (micros << 10) | (digest & 0x3FF)  # < 2**63: the top bit stays 0
    return "".join(_TID_ALPHABET[(value >> (60 - 5 * i)) & 31] for i in range(13))


def _byte_span(text: str, start: int, end: int) -> dict[str, int]:
    return {
        "byteStart": len(text[:start].encode()),
        "byteEnd": len(text[:end].encode()),
    }


class Facets(XrpcClient):
    """Facets need the PDS: a mention becomes a link only when its handle
    resolves."""

    # --- text ---------------------------------------------------------------------

    def facets(self, text: str, pds: str) -> list[dict[str, Any]]:
        """Links, mentions and hashtags of `text` with UTF-8 byte offsets."""
        facets: list[dict[str, Any]] = []
        taken: list[tuple[int, int]] = []
        for match in ANY_URL_RE.finditer(text):
            url = match.group(0)
            uri = url if "://" in url else f"https://{url}"
            taken.append(match.span())
            facets.append(
                {
                    "index": _byte_span(text, *match.span()),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
                }
            )

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        for match in MENTION_RE.finditer(text):
            if not free(*match.span()):
                continue
            did = self._resolve(match.group(1).lower(), pds)
            if did:
                facets.append(
                    {
                        "index": _byte_span(text, *match.span()),
                        "features": [
                            {"$type": "app.bsky.richtext.facet#mention", "did": did}
                        ],
                    }
                )
        for match in HASHTAG_RE.finditer(text):
            tag = match.group(1)
            if not free(*match.span()) or len(graphemes(tag)) > 64:
                continue
            facets.append(
                {
                    "index": _byte_span(text, *match.span()),
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                }
            )
        facets.sort(key=lambda f: f["index"]["byteStart"])
        return facets

    def _resolve(self, handle: str, pds: str) -> str:
        """The DID of `handle`, or "" (the mention then stays plain text)."""
        try:
            answer = self._xrpc(
                "GET",
                pds,
                "com.atproto.identity.resolveHandle",
                params={"handle": handle},
            )
        except ConnectorError:
            return ""
        if answer.status != 200:
            return ""
        data = answer.json()
        return str(data.get("did") or "") if isinstance(data, dict) else ""
