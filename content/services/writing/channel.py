"""One channel's copy, end to end, in a pool thread (no database): call the
provider, check the channel rules, send violations back once, shorten and flag
what still breaks them, then the brand-safety gate and the AI label.

The channel rules (`networks.textrules`) and the gate (`content.moderation`)
are imported where they are used, so importing the services loads neither.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.conf import settings

from campaigns.models import Post
from content.services import budget, limits
from content.services.writing.task import brand_facts
from networks.copy_types import (
    BrandFacts,
    ChannelSpec,
    CopyResult,
    CopyTask,
    DraftVariant,
    Usage,
)


@dataclass(frozen=True)
class GateContext:
    """What the brand-safety gate needs, read from the database up front so the
    pool's threads touch no database."""

    brand: BrandFacts
    objective: str
    sponsored: bool
    forbidden_claims: tuple[str, ...]
    ai_disclosure: str
    ai_disclosure_networks: tuple[str, ...]
    provider_moderation: bool
    ai_generated: bool = True

    @classmethod
    def for_post(cls, post: Post, *, provider: str) -> GateContext:
        campaign, brand = post.campaign, post.campaign.brand
        return cls(
            brand=brand_facts(brand),
            objective=campaign.objective,
            sponsored=bool(getattr(campaign, "sponsored", False)),
            forbidden_claims=tuple(getattr(brand, "forbidden_claims", None) or ()),
            ai_disclosure=brand.ai_disclosure,
            ai_disclosure_networks=tuple(brand.ai_disclosure_networks or ()),
            provider_moderation=bool(getattr(settings, "LLM_MODERATION", False))
            and provider != budget.OFFLINE,
        )


@dataclass
class CheckedText:
    """One variant's text for one network after rules and gate."""

    draft: DraftVariant
    network: str
    text: str
    rule_report: dict[str, Any]
    gate: dict[str, Any]
    gate_passed: bool


@dataclass
class ChannelOutcome:
    network: str
    account_id: int | None
    items: list[CheckedText] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    provider: str = ""
    model: str = ""
    calls: int = 0


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        tokens_in=a.tokens_in + b.tokens_in,
        tokens_out=a.tokens_out + b.tokens_out,
        cost=a.cost + b.cost,
        latency_ms=a.latency_ms + b.latency_ms,
    )


def measure_report(network: str, text: str, spec: ChannelSpec) -> Any:
    """The measure of what goes out: for a thread, the part furthest over
    (else the longest), with `part` and `parts` saying which."""
    from networks import textrules

    parts = textrules.measure_parts(network, text, max_length=spec.max_length)
    index = textrules.worst_part(parts)
    report: dict[str, Any] = asdict(parts[index])
    if len(parts) > 1:
        report["part"], report["parts"] = index + 1, len(parts)
    return report


def _violations(text: str, spec: ChannelSpec, brand: BrandFacts) -> list[Any]:
    from networks import textrules

    return list(
        textrules.check(
            text, network=spec.network, brand=brand, max_length=spec.max_length
        )
    )


def violation_dicts(violations: list[Any]) -> list[dict[str, str]]:
    return [{"code": v.code, "message": v.message} for v in violations]


def gate_text(
    text: str,
    network: str,
    ctx: GateContext,
    provider: Any | None,
    *,
    max_length: int | None = None,
    add_label: bool = True,
) -> tuple[str, dict[str, Any], bool]:
    """The brand-safety verdict for one text. With `add_label`, the AI label the
    brand's policy asks for is added (shortening the copy when it must) and the
    text checked again. Returns (text, verdict as JSON, passed)."""
    from content import moderation

    def verdict_of(value: str) -> Any:
        flagged = None
        if ctx.provider_moderation and provider is not None:
            flagged = provider.moderate(value)
        return moderation.gate(
            value,
            network=network,
            brand=ctx.brand,
            objective=ctx.objective,
            sponsored=ctx.sponsored,
            forbidden_claims=list(ctx.forbidden_claims),
            ai_generated=ctx.ai_generated,
            ai_disclosure=ctx.ai_disclosure,
            ai_disclosure_networks=list(ctx.ai_disclosure_networks),
            provider_moderation=flagged,
        )

    verdict = verdict_of(text)
    missing = any(r.code == "missing_ai_label" for r in verdict.reasons)
    if add_label and verdict.required_label and missing:
        text = moderation.apply_ai_label(text, network, max_length=max_length)
        verdict = verdict_of(text)
    report = {
        "passed": bool(verdict.passed),
        "reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons],
        "required_label": verdict.required_label,
        "native_flag": getattr(verdict, "native_flag", None),
    }
    return text, report, bool(verdict.passed)


def call_provider(provider: Any, provider_name: str, task: CopyTask) -> CopyResult:
    with limits.provider_slot(provider_name):
        started = time.monotonic()
        result: CopyResult = provider.write(task)
    if not result.usage.latency_ms:
        latency = int((time.monotonic() - started) * 1000)
        result = replace(result, usage=replace(result.usage, latency_ms=latency))
    return result


def _draft_text(draft: DraftVariant, network: str) -> str:
    text = draft.texts.get(network)
    if text is None and len(draft.texts) == 1:
        text = next(iter(draft.texts.values()))
    return (text or "").strip()


def finish_channel(
    *,
    provider: Any,
    provider_name: str,
    task: CopyTask,
    result: CopyResult,
    ctx: GateContext,
    rewrite: Callable[[CopyTask], CopyResult] | None = None,
) -> ChannelOutcome:
    """Rules then gate for every variant of one channel's result.

    A variant that breaks a rule is sent back to the model once, with every
    violation named (`task.feedback`); one that still breaks it is shortened at
    a sentence boundary by `channel_rules.shorten` and flagged.
    """
    spec = task.channels[0]
    outcome = ChannelOutcome(
        network=spec.network,
        account_id=spec.account_id,
        usage=result.usage,
        provider=result.provider,
        model=result.model,
        calls=1,
    )
    drafts = list(result.variants)[: task.count]
    texts = [_draft_text(d, spec.network) for d in drafts]
    first = [_violations(t, spec, ctx.brand) for t in texts]
    retried = [False] * len(drafts)
    if rewrite is not None and any(first):
        retried = _send_back(task, drafts, texts, first, rewrite, outcome)
    for i, draft in enumerate(drafts):
        outcome.items.append(
            _checked(draft, texts[i], first[i], retried[i], spec, ctx, provider)
        )
    return outcome


def _send_back(
    task: CopyTask,
    drafts: list[DraftVariant],
    texts: list[str],
    first: list[list[Any]],
    rewrite: Callable[[CopyTask], CopyResult],
    outcome: ChannelOutcome,
) -> list[bool]:
    """One more call for the variants that broke a rule, each violation named;
    the answers replace them in `drafts` and `texts`. Which were retried."""
    network = task.channels[0].network
    retried = [False] * len(drafts)
    bad = [i for i, v in enumerate(first) if v]
    feedback = "\n".join(
        f"- Variant {drafts[i].label} on {network}: "
        + "; ".join(v.message for v in first[i])
        for i in bad
    )
    again = rewrite(replace(task, feedback=feedback))
    outcome.usage = _add(outcome.usage, again.usage)
    outcome.calls += 1
    by_label = {d.label: d for d in again.variants}
    for position, i in enumerate(bad):
        new = by_label.get(drafts[i].label)
        if new is None and position < len(again.variants):
            new = again.variants[position]
        if new is not None and _draft_text(new, network):
            drafts[i], texts[i] = new, _draft_text(new, network)
            retried[i] = True
    return retried


def _checked(
    draft: DraftVariant,
    text: str,
    first: list[Any],
    retried: bool,
    spec: ChannelSpec,
    ctx: GateContext,
    provider: Any,
) -> CheckedText:
    """One variant's text shortened if it still breaks a rule, then gated."""
    from networks import textrules

    network = spec.network
    violations = _violations(text, spec, ctx.brand) if first else []
    shortened = False
    if violations:
        text, shortened = textrules.shorten(
            text,
            network=network,
            max_length=spec.max_length,
            keep=textrules.required_tokens(ctx.brand),
        )
    text, gate, passed = gate_text(
        text, network, ctx, provider, max_length=spec.max_length
    )
    after_label = _violations(text, spec, ctx.brand)
    report = {
        "measure": measure_report(network, text, spec),
        "max_length": spec.max_length,
        "violations": violation_dicts(after_label),
        "first_violations": violation_dicts(first),
        "retried": retried,
        "shortened": shortened,
        "flagged": bool(shortened or after_label),
    }
    return CheckedText(
        draft=draft,
        network=network,
        text=text,
        rule_report=report,
        gate=gate,
        gate_passed=passed,
    )


def write_channel(
    provider: Any, provider_name: str, task: CopyTask, ctx: GateContext
) -> ChannelOutcome:
    """One channel end to end (runs in a pool thread: no database here)."""
    result = call_provider(provider, provider_name, task)
    return finish_channel(
        provider=provider,
        provider_name=provider_name,
        task=task,
        result=result,
        ctx=ctx,
        rewrite=lambda t: call_provider(provider, provider_name, t),
    )


def stream_channel(
    provider: Any, provider_name: str, task: CopyTask
) -> Iterator[str | CopyResult]:
    """Deltas then the final result of one streamed call, inside a provider slot."""
    with limits.provider_slot(provider_name):
        yield from provider.stream(task)
