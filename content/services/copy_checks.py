"""What each channel of a post would refuse, known before anything is sent.

The copy that goes out to an account is its network's chosen variant, or,
where none is chosen, the post's body (its topic when the body is empty): what
`publishing.delivery.build_request` sends. It is measured against the
account's limits (`networks.limits`: the network's, or the account's own,
as a Mastodon instance sets them), each part of a thread alone, and the post's
chosen images are counted and weighed as the files that would go out.

- `variant_limit_problems`: why a variant cannot be chosen (the variants panel
  disables "Choose" with the reason; the API answers 400).
- `limit_problems`: why the post cannot be submitted, approved, scheduled or
  retried (registered with `campaigns.lifecycle.register_move_check`; 409).
- `post_copy_findings`: every finding per channel account (limits and the
  brand-safety gate), for the approvals card and the badges.

The publisher's own `validate` stays the last guard at publish time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from campaigns.models import Post
from connections.models import ChannelAccount
from content.models import PostImage, Variant, VariantStatus
from content.renditions.choice import rendition_for
from networks import limits as copy_limits
from networks.textrules import Violation, rules_for

LIMIT = "limit"  # the network refuses it: blocks the moves toward publishing
RULE = "rule"  # the brand's rules (required hashtags and mentions, don't-words)
GATE = "gate"  # the brand-safety gate: an owner or admin may approve despite it
IMAGE_CODES = frozenset({"too_many_images", "image_too_large"})
# The rule report's codes that are the network's limits (measured afresh here,
# against the accounts' limits, rather than read from the report).
LIMIT_CODES = frozenset(
    {"too_long", "too_many_bytes", "too_many_hashtags", "too_many_mentions"}
)


@dataclass(frozen=True)
class Finding:
    """One problem with what would go out to one account."""

    code: str
    message: str
    kind: str  # LIMIT or GATE
    blocking: bool  # True: no one can submit, approve or schedule past it


@dataclass
class ChannelFindings:
    """One account of a post: the copy it would get and what is wrong with it."""

    account: ChannelAccount
    variant: Variant | None  # the chosen copy; None: the post's body goes out
    text: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def network(self) -> str:
        return self.account.network

    @property
    def source(self) -> str:
        """Which copy, in words: "Variant B" or "The post text"."""
        if self.variant is not None:
            return f"Variant {self.variant.label}"
        return "The post text"

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def ok(self) -> bool:
        return not self.findings


def account_limits(account: ChannelAccount) -> copy_limits.Limits:
    """The limits copy for `account` must meet (its own where it set them)."""
    return copy_limits.limits_for(
        account.network, account.limits, account_name=account.name
    )


def _blocking(network: str, violation: Violation) -> bool:
    # An email's subject limit is the inbox preview, not a refusal: shown, but
    # it does not stop the post.
    return not (rules_for(network).subject_only and violation.code == "too_long")


def _limit_findings(network: str, violations: Iterable[Violation]) -> list[Finding]:
    return [
        Finding(v.code, v.message, LIMIT, _blocking(network, v)) for v in violations
    ]


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.message, finding)
    return list(seen.values())


def _accounts_for(variant: Variant, post: Post) -> list[ChannelAccount]:
    accounts = [a for a in post.accounts.all() if a.network == variant.network]
    if variant.account_id is not None:
        accounts = [a for a in accounts if a.pk == variant.account_id] or accounts
    return accounts


def variant_findings(
    variant: Variant, accounts: Iterable[ChannelAccount] | None = None
) -> list[Finding]:
    """What the variant's text breaks for the post's accounts on its network
    (the network's defaults when the post has none there any more)."""
    if accounts is None:
        accounts = _accounts_for(variant, variant.post)
    limits = [account_limits(a) for a in accounts if a.network == variant.network]
    if not limits:
        limits = [copy_limits.limits_for(variant.network)]
    return _unique(
        finding
        for each in limits
        for finding in _limit_findings(
            variant.network, copy_limits.text_violations(variant.text, each)
        )
    )


def variant_limit_problems(
    variant: Variant, accounts: Iterable[ChannelAccount] | None = None
) -> list[str]:
    """Why `variant` cannot be chosen: the limits its text breaks."""
    return [f.message for f in variant_findings(variant, accounts) if f.blocking]


def gate_findings(variant: Variant) -> list[Finding]:
    """The brand-safety gate's reasons, while it fails and nobody accepted it."""
    if variant.gate_passed or variant.gate_overridden_at is not None:
        return []
    reasons = (variant.gate or {}).get("reasons") or []
    messages = [
        str(r.get("message") or r.get("code") or "") if isinstance(r, dict) else str(r)
        for r in reasons
    ] or ["Fails the brand-safety check (no reason given)."]
    return [Finding("gate", m, GATE, False) for m in messages if m]


def rule_findings(variant: Variant) -> list[Finding]:
    """The brand's rules the variant's text broke when it was last written or
    edited (its rule report), the network's limits aside."""
    violations = (variant.rule_report or {}).get("violations") or []
    return [
        Finding(
            str(v.get("code") or RULE),
            str(v.get("message") or v.get("code")),
            RULE,
            False,
        )
        for v in violations
        if isinstance(v, dict) and v.get("code") not in LIMIT_CODES
    ]


def problems_of(variant: Variant, limits: Iterable[Finding]) -> list[Finding]:
    """Everything to show beside a variant, each message once: the limits
    (`limits`, measured for its accounts), the gate, the brand's rules (a
    don't-word both report is the gate's)."""
    return _unique([*limits, *gate_findings(variant), *rule_findings(variant)])


# --- A post's images, as the files that would go out ---------------------------


def _chosen_images(post: Post) -> list[PostImage]:
    return list(
        PostImage.objects.filter(post=post, chosen=True)
        .select_related("asset")
        .prefetch_related("asset__renditions")
        .order_by("position", "pk")
    )


def _outgoing_bytes(usage: PostImage, network: str) -> int:
    """The size of the file the publisher sends for this image on `network`:
    the network's rendition in its preferred format, else a generic one, else
    the original (`publishing.delivery.media_for` picks the same)."""
    chosen = rendition_for(usage.asset.renditions.all(), network)
    if chosen is not None:
        return int(chosen.bytes)
    return int(usage.asset.byte_size or 0)


# --- A post, channel by channel -------------------------------------------------


def _chosen_for(account: ChannelAccount, chosen: list[Variant]) -> Variant | None:
    mine = [v for v in chosen if v.network == account.network]
    return next((v for v in mine if v.account_id == account.pk), None) or next(
        iter(mine), None
    )


def post_copy_findings(post: Post) -> list[ChannelFindings]:
    """Per account of `post`: the copy it would get and every finding on it
    (the limits it breaks, what the brand-safety gate found, then the brand's
    rules), accounts in the order of their networks. An empty `findings`
    list: nothing to fix.

    This is the one place the approvals card, the badges and the lifecycle's
    checks read; it runs a handful of queries for any number of channels.
    """
    accounts = sorted(post.accounts.all(), key=lambda a: (a.network, a.name, a.pk))
    chosen = list(
        Variant.objects.filter(post=post, status=VariantStatus.CHOSEN).order_by(
            "network", "label", "pk"
        )
    )
    images = _chosen_images(post) if accounts else []
    out: list[ChannelFindings] = []
    for account in accounts:
        variant = _chosen_for(account, chosen)
        text = variant.text if variant is not None else (post.body or post.topic)
        limits = account_limits(account)
        findings = _limit_findings(
            account.network, copy_limits.text_violations(text, limits)
        )
        sizes = [_outgoing_bytes(usage, account.network) for usage in images]
        findings += _limit_findings(
            account.network, copy_limits.image_violations(sizes, limits)
        )
        if variant is not None:
            findings = problems_of(variant, findings)
        out.append(ChannelFindings(account, variant, text, findings))
    return out


def limit_problems(post: Post) -> list[str]:
    """Why `post` cannot move toward publishing: each broken limit once, with
    the copy it is in ("Variant B: Too long for Bluesky: 301 of 300 …")."""
    problems: list[str] = []
    for channel in post_copy_findings(post):
        for finding in channel.blocking:
            image = finding.code in IMAGE_CODES
            message = (
                finding.message if image else f"{channel.source}: {finding.message}"
            )
            if message not in problems:
                problems.append(message)
    return problems
