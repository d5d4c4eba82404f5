"""The shapes copy generation passes around: what a provider is asked, what it
returns, and how it fails. Plain dataclasses, no Django, so providers, rules and
the benchmark can use them without a database.

The flow: `content.services` builds a `CopyTask` from a post (brand, campaign,
angle, channel rules, rendered prompt), a provider from `content.llm` turns it
into a `CopyResult`, `networks.textrules` measures and enforces each text,
`content.moderation` gives the brand-safety verdict, and the services store one
`Variant` per (label, channel) with its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BrandFacts:
    name: str
    voice: str = ""
    tone: tuple[str, ...] = ()
    audience: str = ""
    do_words: tuple[str, ...] = ()
    dont_words: tuple[str, ...] = ()
    required_hashtags: tuple[str, ...] = ()
    required_mentions: tuple[str, ...] = ()
    default_cta: str = ""
    # What the brand is and sells, in its own words (BrandProfile.description):
    # the offline writer builds its drafts from it instead of from the brief.
    description: str = ""


@dataclass(frozen=True)
class ChannelSpec:
    """One target channel of a post, with the rules the text must meet."""

    network: str  # publishing.models.Network value
    account_id: int | None
    max_length: int | None  # in the network's own measure; None: no limit
    max_hashtags: int | None = None
    notes: str = ""  # extra guidance for the model ("URLs count as 23")


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt template filled with the task's inputs (never any secret)."""

    template: str  # file name under content/prompts/, e.g. "copy"
    version: str  # the template's declared version, e.g. "3"
    system: str
    user: str


@dataclass(frozen=True)
class CopyTask:
    """Everything a provider needs to write `count` variants for the channels."""

    brand: BrandFacts
    objective: str
    brief: str
    topic: str
    angle: str
    link: str
    language: str
    channels: tuple[ChannelSpec, ...]
    count: int
    prompt: RenderedPrompt
    tone: str = ""  # an override asked for in the editor
    feedback: str = ""  # set on the one retry: the violations to fix


@dataclass(frozen=True)
class DraftVariant:
    """One variant as the provider wrote it, before rules and moderation."""

    label: str  # "A", "B", ...
    texts: dict[str, str]  # network -> text
    hashtags: tuple[str, ...] = ()
    link_placement: str = "end"  # "end", "inline", "first_comment", "none"
    alt_text: str = ""
    image_prompt: str = ""
    rationale: str = ""


@dataclass(frozen=True)
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0  # in the currency of settings.LLM_PRICES (USD by default)
    latency_ms: int = 0


@dataclass(frozen=True)
class CopyResult:
    variants: tuple[DraftVariant, ...]
    provider: str  # "openai" or "offline"
    model: str
    usage: Usage = field(default_factory=Usage)
    raw: dict[str, Any] = field(default_factory=dict)  # the parsed JSON, for audit


@dataclass(frozen=True)
class AngleTask:
    """Ask for topics and angles for a campaign's posts (the planner's LLM path)."""

    brand: BrandFacts
    objective: str
    brief: str
    pillar: str
    count: int
    language: str
    past_winners: tuple[str, ...] = ()  # best-performing past posts' texts
    prompt: RenderedPrompt | None = None


@dataclass(frozen=True)
class Angle:
    topic: str
    angle: str
    rationale: str = ""


class LLMError(Exception):
    """A provider failure, said so that a person can act on it.

    `transient` errors (429, 5xx, timeouts, connection) are retried by the
    provider itself up to its deadline before they reach a caller; what reaches a
    caller has already been retried or is `permanent` (bad key, unknown model,
    refused request, malformed output after the fallback).
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str = "llm_error",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after


@dataclass(frozen=True)
class ModerationResult:
    """A provider's moderation endpoint's answer for one text."""

    flagged: bool
    categories: tuple[str, ...] = ()
