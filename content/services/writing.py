"""Writing one post's copy, with no database in the hot path: the task per
channel (brand facts, rendered prompt, channel spec), its inputs hash and cost
estimate, and the per-channel pipeline the pool's threads run: call the
provider, check the channel rules, send violations back once, shorten and flag
what still breaks them, then the brand-safety gate and the AI label.

The providers (`content.llm`), the channel rules (`content.channel_rules`) and
the gate (`content.moderation`) are imported where they are used, so importing
the services loads no client library.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.conf import settings

from campaigns.models import BrandProfile, Post
from channels.models import ChannelAccount
from content import prompts
from content.copy_types import (
    BrandFacts,
    ChannelSpec,
    CopyResult,
    CopyTask,
    DraftVariant,
    RenderedPrompt,
    Usage,
)
from content.services import budget, limits

COPY_TEMPLATE = "copy"

# --- Building the task ------------------------------------------------------------


def brand_facts(brand: BrandProfile) -> BrandFacts:
    return BrandFacts(
        name=brand.name,
        voice=brand.voice,
        tone=tuple(brand.tone or ()),
        audience=brand.audience,
        do_words=tuple(brand.do_words or ()),
        dont_words=tuple(brand.dont_words or ()),
        required_hashtags=tuple(brand.required_hashtags or ()),
        required_mentions=tuple(brand.required_mentions or ()),
        default_cta=brand.default_cta,
        description=brand.description,
    )


def _listed(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(items) if items else "(none)"


def _channel_lines(specs: tuple[ChannelSpec, ...]) -> str:
    lines = []
    for spec in specs:
        limit = (
            f"at most {spec.max_length} characters as {spec.network} counts them"
            if spec.max_length
            else "no length limit"
        )
        tags = (
            f", at most {spec.max_hashtags} hashtags"
            if spec.max_hashtags is not None
            else ""
        )
        note = f" ({spec.notes})" if spec.notes else ""
        lines.append(f"- {spec.network}: {limit}{tags}{note}")
    return "\n".join(lines)


def render_copy_prompt(
    *,
    brand: BrandFacts,
    objective: str,
    brief: str,
    topic: str,
    angle: str,
    link: str,
    language: str,
    channels: tuple[ChannelSpec, ...],
    count: int,
    tone: str = "",
    feedback: str = "",
    version: str | None = None,
) -> RenderedPrompt:
    return prompts.render(
        COPY_TEMPLATE,
        {
            "brand_name": brand.name,
            "brand_voice": brand.voice or "(not described)",
            "tone": tone or _listed(brand.tone),
            "audience": brand.audience or "(not described)",
            "do_words": _listed(brand.do_words),
            "dont_words": _listed(brand.dont_words),
            "required_hashtags": _listed(brand.required_hashtags),
            "required_mentions": _listed(brand.required_mentions),
            "default_cta": brand.default_cta or "(none)",
            "language": language,
            "count": count,
            "objective": objective,
            "brief": brief or "(none)",
            "topic": topic,
            "angle": angle or "(free)",
            "link": link or "(none)",
            "channels": _channel_lines(channels),
            "feedback": (
                f"\nYour previous answer broke these rules; fix them:\n{feedback}"
                if feedback
                else ""
            ),
        },
        version=version,
    )


@dataclass(frozen=True)
class Plan:
    """A post's generation request resolved: one CopyTask per network."""

    post: Post
    choice: budget.ProviderChoice
    tasks: tuple[CopyTask, ...]
    template: str
    version: str
    inputs_hash: str
    estimate: budget.Estimate
    networks: tuple[str, ...]
    account_ids: tuple[int, ...]


def _post_language(post: Post, language: str) -> str:
    langs = post.campaign.brand.languages or []
    return language or (langs[0] if langs else "en")


def _specs(accounts: list[ChannelAccount]) -> tuple[ChannelSpec, ...]:
    """One spec per network (the first account of it carries the id), with the
    strictest length any of its accounts allows (a Mastodon instance's own),
    so the copy written fits every account it may be chosen for."""
    from content import channel_rules, copy_limits

    specs: dict[str, ChannelSpec] = {}
    for account in sorted(accounts, key=lambda a: (a.network, a.pk)):
        if account.network not in specs:
            lengths = [
                limit
                for a in accounts
                if a.network == account.network
                and (limit := copy_limits.limits_for(a.network, a.limits).max_length)
                is not None
            ]
            spec = channel_rules.spec_for(
                account.network, min(lengths) if lengths else None
            )
            specs[account.network] = replace(spec, account_id=account.pk)
    return tuple(specs.values())


def inputs_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of every input."""
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan_for(
    *,
    post: Post,
    accounts: list[ChannelAccount],
    count: int,
    tone: str = "",
    language: str = "",
    choice: budget.ProviderChoice | None = None,
) -> Plan:
    campaign = post.campaign
    brand = brand_facts(campaign.brand)
    choice = choice or budget.resolve_provider(post.workspace)
    language = _post_language(post, language)
    specs = _specs(accounts)
    tasks = []
    for spec in specs:
        fields = {
            "brand": brand,
            "objective": campaign.objective,
            "brief": campaign.brief,
            "topic": post.topic,
            "angle": post.angle,
            "link": post.link,
            "language": language,
            "channels": (spec,),
            "count": count,
        }
        prompt = render_copy_prompt(**fields, tone=tone)  # type: ignore[arg-type]
        tasks.append(CopyTask(**fields, prompt=prompt, tone=tone))  # type: ignore[arg-type]
    template = prompts.load(COPY_TEMPLATE)
    payload = {
        "brand": asdict(brand),
        "objective": campaign.objective,
        "brief": campaign.brief,
        "topic": post.topic,
        "angle": post.angle,
        "link": post.link,
        "language": language,
        "tone": tone,
        "count": count,
        "channels": [
            {k: v for k, v in asdict(s).items() if k != "account_id"} for s in specs
        ],
        "provider": choice.provider,
        "model": choice.model,
        "template": template.name,
        "template_version": template.version,
    }
    return Plan(
        post=post,
        choice=choice,
        tasks=tuple(tasks),
        template=template.name,
        version=template.version,
        inputs_hash=inputs_hash(payload),
        estimate=budget.estimate(choice, [t.prompt for t in tasks]),
        networks=tuple(s.network for s in specs),
        account_ids=tuple(sorted(a.pk for a in accounts)),
    )


def post_for_generation(post: Post) -> Post:
    return Post.objects.select_related("workspace__ai_settings", "campaign__brand").get(
        pk=post.pk
    )


# --- Run: one channel ----------------------------------------------------------


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
    from content import channel_rules

    parts = channel_rules.measure_parts(network, text, max_length=spec.max_length)
    index = channel_rules.worst_part(parts)
    report: dict[str, Any] = asdict(parts[index])
    if len(parts) > 1:
        report["part"], report["parts"] = index + 1, len(parts)
    return report


def _violations(text: str, spec: ChannelSpec, brand: BrandFacts) -> list[Any]:
    from content import channel_rules

    return list(
        channel_rules.check(
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
    from content import channel_rules

    spec = task.channels[0]
    network = spec.network
    outcome = ChannelOutcome(
        network=network,
        account_id=spec.account_id,
        usage=result.usage,
        provider=result.provider,
        model=result.model,
        calls=1,
    )
    drafts = list(result.variants)[: task.count]
    texts = [_draft_text(d, network) for d in drafts]
    first = [_violations(t, spec, ctx.brand) for t in texts]
    retried = [False] * len(drafts)
    bad = [i for i, v in enumerate(first) if v]
    if bad and rewrite is not None:
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
    for i, draft in enumerate(drafts):
        text = texts[i]
        violations = _violations(text, spec, ctx.brand) if first[i] else []
        shortened = False
        if violations:
            text, shortened = channel_rules.shorten(
                text,
                network=network,
                max_length=spec.max_length,
                keep=channel_rules.required_tokens(ctx.brand),
            )
            violations = _violations(text, spec, ctx.brand)
        text, gate, passed = gate_text(
            text, network, ctx, provider, max_length=spec.max_length
        )
        after_label = _violations(text, spec, ctx.brand)
        report = {
            "measure": measure_report(network, text, spec),
            "max_length": spec.max_length,
            "violations": violation_dicts(after_label),
            "first_violations": violation_dicts(first[i]),
            "retried": retried[i],
            "shortened": shortened,
            "flagged": bool(shortened or after_label),
        }
        outcome.items.append(
            CheckedText(
                draft=draft,
                network=network,
                text=text,
                rule_report=report,
                gate=gate,
                gate_passed=passed,
            )
        )
    return outcome


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
