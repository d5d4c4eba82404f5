"""The brand-safety gate: may this text go out under this brand, on this network?

`gate` returns a `Verdict` with every reason a marketer needs to fix the text
(or an admin needs to approve it anyway), and the AI label the network requires
under the brand's disclosure policy; `apply_ai_label` adds that label within the
network's limit. No Django, no network: the provider's moderation answer is
passed in by the caller (content.services asks the provider when configured).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from networks import registry
from networks.copy_types import BrandFacts, ModerationResult
from networks.profile import HASHTAG_AI_LABEL
from networks.textrules import (
    dont_word_violations,
    find_phrases,
    has_hashtag,
    measure,
    network_name,
    shorten,
)

# Claims that need proof a post cannot carry (FTC "Advertising FAQ's", ASA/CAP
# Code 3.7 substantiation and 3.9 "guaranteed"); a brand adds its own.
DEFAULT_FORBIDDEN_CLAIMS: tuple[str, ...] = (
    "guaranteed results",
    "guaranteed returns",
    "cures",
    "risk-free",
    "best in the world",
    "world's best",
    "miracle cure",
    "100% effective",
    "clinically proven",
)
# Comparative price claims also need substantiation; they matter where the
# campaign sells (objective "conversions").
SALES_FORBIDDEN_CLAIMS: tuple[str, ...] = ("lowest price", "lowest prices")

# FTC Endorsement Guides and ASA: "#ad" or "#sponsored", visible in the text.
SPONSORED_TAGS: tuple[str, ...] = ("#ad", "#sponsored")

# No network AdLoop publishes to has an API flag for AI-written *text*, so every
# one gets a text label. Kept here so the gate can prefer a flag where one exists:
# - TikTok Content Posting API: `is_aigc` on the post (not a Network yet).
# - YouTube Data API: `status.containsSyntheticMedia` (not a Network yet).
# - Meta (Facebook, Instagram) shows "AI info" from C2PA/IPTC metadata in the
#   image, not for captions; LinkedIn likewise shows C2PA on images only.
# - Bluesky self-labels only accept content-warning values (porn, nudity, ...).
NATIVE_AI_FLAGS: dict[str, str] = {}

# Each network's AI label is its profile's (`networks.<key>.profile`).
AI_LABELS: dict[str, str] = {k: p.ai_label for k, p in registry.profiles().items()}


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[Reason] = field(default_factory=list)
    required_label: str | None = None  # the AI label the text must carry
    native_flag: str | None = None  # the API flag to set instead, where one exists


def ai_label_required(
    *, network: str, ai_generated: bool, ai_disclosure: str, networks: Iterable[str]
) -> bool:
    if not ai_generated:
        return False
    if ai_disclosure == "always":
        return True
    if ai_disclosure == "per_channel":
        return network in set(networks)
    return False  # "never"


def ai_label_for(network: str) -> str:
    return AI_LABELS.get(network, HASHTAG_AI_LABEL)


def has_ai_label(text: str, network: str) -> bool:
    label = ai_label_for(network)
    if label.startswith("#"):
        return has_hashtag(text, label)
    return label.casefold() in text.casefold()


def apply_ai_label(text: str, network: str, *, max_length: int | None = None) -> str:
    """`text` with the network's AI label; when the label does not fit, the copy
    is shortened (at a sentence or word boundary) to make room for it."""
    if has_ai_label(text, network):
        return text
    label = ai_label_for(network)
    stripped = text.rstrip()
    if not label.startswith("#"):
        labeled = f"{stripped}\n\n{label}" if stripped else label
    else:
        last_line = stripped.rsplit("\n", 1)[-1]
        only_tags = last_line and all(w.startswith("#") for w in last_line.split())
        sep = " " if only_tags else "\n\n"
        labeled = f"{stripped}{sep}{label}" if stripped else label
    if measure(network, labeled, max_length=max_length).fits:
        return labeled
    # The label is a trailing hashtag: shorten keeps it and cuts the copy.
    short, _ = shorten(labeled, network=network, max_length=max_length, keep=[label])
    return short


def gate(
    text: str,
    *,
    network: str,
    brand: BrandFacts,
    objective: str,
    sponsored: bool,
    forbidden_claims: list[str],
    ai_generated: bool,
    ai_disclosure: str,
    ai_disclosure_networks: list[str],
    provider_moderation: ModerationResult | None,
) -> Verdict:
    """Check `text` before it can be approved; every failing rule is a reason.

    A text passes when there is no reason. `required_label` names the AI label
    the brand's policy requires on this network (None when none is); a text
    without it fails with `missing_ai_label` (fix it with `apply_ai_label`).
    """
    reasons = [
        Reason(v.code, v.message) for v in dont_word_violations(text, brand.dont_words)
    ]

    if sponsored and not any(has_hashtag(text, tag) for tag in SPONSORED_TAGS):
        reasons.append(
            Reason(
                "missing_disclosure",
                "This campaign is sponsored: add #ad or #sponsored so readers "
                "can see it is an advertisement.",
            )
        )

    reasons.extend(_claim_reasons(text, objective, forbidden_claims))

    if provider_moderation is not None and provider_moderation.flagged:
        categories = ", ".join(provider_moderation.categories) or "unspecified"
        flagged = f"The AI provider's moderation flagged this text ({categories})."
        reasons.append(Reason("provider_flagged", flagged))

    required_label = None
    native_flag = None
    if ai_label_required(
        network=network,
        ai_generated=ai_generated,
        ai_disclosure=ai_disclosure,
        networks=ai_disclosure_networks,
    ):
        native_flag = NATIVE_AI_FLAGS.get(network)
        if native_flag is None:
            required_label = ai_label_for(network)
            if not has_ai_label(text, network):
                reasons.append(_missing_label(network, required_label))

    return Verdict(
        passed=not reasons,
        reasons=reasons,
        required_label=required_label,
        native_flag=native_flag,
    )


def _claim_reasons(
    text: str, objective: str, forbidden_claims: list[str]
) -> list[Reason]:
    """A reason per claim in `text` that a post cannot prove: the defaults, the
    brand's own, and for a conversions campaign the sales promises too."""
    claims = [*DEFAULT_FORBIDDEN_CLAIMS, *forbidden_claims]
    if objective == "conversions":
        claims.extend(SALES_FORBIDDEN_CLAIMS)
    return [
        Reason(
            "forbidden_claim",
            f"Claims '{claim}', which cannot be proven in a post; "
            "rephrase or remove it.",
        )
        for claim in find_phrases(text, claims)
    ]


def _missing_label(network: str, label: str) -> Reason:
    return Reason(
        "missing_ai_label",
        f"The brand labels AI-written copy on {network_name(network)}: add '{label}'.",
    )
