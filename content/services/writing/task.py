"""The task of one post's copy, built before any provider is called: brand
facts, the rendered prompt, one channel spec per account, the inputs hash that
lets a repeat request reuse its variants, and the cost estimate the budget
checks. Everything the pool's threads need is read here, so they touch no
database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any, TypedDict

from campaigns.models import BrandProfile, Post
from connections.models import ChannelAccount
from content import prompts
from content.services import budget
from networks.copy_types import (
    BrandFacts,
    ChannelSpec,
    CopyTask,
    RenderedPrompt,
)

COPY_TEMPLATE = "copy"

# --- Building the task ------------------------------------------------------------


class _TaskFields(TypedDict):
    """What the prompt and the task share, one channel at a time."""

    brand: BrandFacts
    objective: str
    brief: str
    topic: str
    angle: str
    link: str
    language: str
    channels: tuple[ChannelSpec, ...]
    count: int


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
    from networks import limits as copy_limits
    from networks import textrules

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
            spec = textrules.spec_for(
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
        fields: _TaskFields = {
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
        prompt = render_copy_prompt(**fields, tone=tone)
        tasks.append(CopyTask(**fields, prompt=prompt, tone=tone))
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
