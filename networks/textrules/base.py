"""The shape of one network's text rules, shared by every network module."""

from __future__ import annotations

from dataclasses import dataclass

WEIGHTED = "weighted chars"
GRAPHEMES = "graphemes"
# UTF-16 code units. LinkedIn, Facebook and Instagram do not define
# "character"; their composers count JavaScript string length, which is never
# less than the code points, so a text that fits here fits there.
CHARS = "chars"


@dataclass(frozen=True)
class NetworkRules:
    network: str
    max_length: int | None  # in `unit`; None: no limit
    unit: str  # WEIGHTED, GRAPHEMES or CHARS (UTF-16 code units)
    max_bytes: int | None = None  # UTF-8 bytes, where the network also caps those
    max_hashtags: int | None = None
    max_mentions: int | None = None
    url_length: int | None = None  # a URL counts this much whatever its length
    subject_only: bool = False  # email: the limit is on the first line
    notes: str = ""  # guidance for the model, goes into the prompt
    # What the connector sends at most (its `Capabilities` mirror these; a test
    # keeps them equal): images per post, bytes per image, and whether a text
    # with `---` lines goes out as a thread (each part measured on its own).
    max_images: int | None = None
    max_image_bytes: int | None = None
    threads: bool = False
