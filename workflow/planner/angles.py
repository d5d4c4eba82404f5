"""Topics and angles from the workspace's configured LLM, for the planned
posts of each pillar; the offline derivation (`workflow.plan_topics`) stays
for any pillar the provider does not serve.

`content` is imported inside the functions: the planner sits below it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from campaigns.models import Campaign, Pillar, Post, PostStatus
from workspaces.models import Workspace

if TYPE_CHECKING:
    from networks.copy_types import AngleTask, BrandFacts

logger = logging.getLogger(__name__)


@dataclass
class AnglePool:
    """The angles an LLM proposed for one pillar, handed out in turn."""

    angles: list[Any]
    provider: str
    model: str
    used: int = 0

    def next(self) -> Any:
        angle = self.angles[self.used % len(self.angles)]
        self.used += 1
        return angle


def llm_angles(
    campaign: Campaign, pillars: list[Pillar], posts: list[Post]
) -> dict[int, AnglePool]:
    """Ask the workspace's provider for topics and angles, one request per
    pillar that gets new posts (key 0: posts without a pillar).

    Only when the configured provider is not the offline writer; a provider
    error leaves that pillar to the offline derivation (logged, never fatal).
    """
    from content.services.budget import resolve_provider
    from networks.copy_types import LLMError

    choice = resolve_provider(campaign.workspace)
    if choice.is_offline or not posts:
        return {}
    from content import llm
    from content.services.writing import brand_facts

    wanted = Counter(p.pillar_id or 0 for p in posts)
    by_id = {p.pk: p for p in pillars}
    brand = brand_facts(campaign.brand)
    language = (campaign.brand.languages or ["en"])[0]
    winners = tuple(
        Post.objects.filter(campaign=campaign, status=PostStatus.PUBLISHED)
        .exclude(body="")
        .order_by("-scheduled_at")
        .values_list("body", flat=True)[:5]
    )
    try:
        provider = llm.get_provider(choice.provider, choice.model or None)
    except LLMError as exc:
        logger.warning("planner: no LLM angles (%s); offline angles instead", exc)
        return {}
    pools: dict[int, AnglePool] = {}
    for pillar_id, count in sorted(wanted.items()):
        pillar = by_id.get(pillar_id)
        name = pillar.name if pillar else campaign.name
        description = pillar.description if pillar else ""
        task = _angle_task(
            campaign, brand, language, winners, name, description, min(count, 20)
        )
        try:
            angles = [a for a in provider.propose_angles(task) if a.topic.strip()]
        except LLMError as exc:
            logger.warning(
                "planner: angles for pillar %s failed (%s); offline angles instead",
                name,
                exc,
            )
            continue
        if angles:
            pools[pillar_id] = AnglePool(angles, choice.provider, choice.model)
    return pools


def _angle_task(
    campaign: Campaign,
    brand: BrandFacts,
    language: str,
    winners: tuple[str, ...],
    name: str,
    description: str,
    count: int,
) -> AngleTask:
    """The request for `count` angles of one pillar (`name`), prompt included."""
    from content import prompts
    from networks.copy_types import AngleTask

    prompt = prompts.render(
        "angles",
        {
            "brand_name": brand.name,
            "brand_voice": brand.voice or "(not described)",
            "audience": brand.audience or "(not described)",
            "dont_words": ", ".join(brand.dont_words) or "(none)",
            "language": language,
            "count": count,
            "pillar": name,
            "pillar_description": description or "(none)",
            "objective": campaign.objective,
            "brief": campaign.brief or "(none)",
            "past_winners": "\n".join(f"- {w}" for w in winners) or "(none yet)",
        },
    )
    return AngleTask(
        brand=brand,
        objective=campaign.objective,
        brief=campaign.brief,
        pillar=name,
        count=count,
        language=language,
        past_winners=winners,
        prompt=prompt,
    )


def apply_angles(posts: list[Post], pools: dict[int, AnglePool]) -> None:
    """Replace the offline topic and angle of each post whose pillar has LLM
    angles; such a post's `plan_reason` says so (`topic_source: "llm"`, the
    provider and model); the others keep the offline reason ("no AI")."""
    for each in pools.values():
        each.used = 0
    for post in posts:
        pool = pools.get(post.pillar_id or 0)
        if pool is None:  # the offline reason already says "no AI"
            continue
        angle = pool.next()
        post.topic = angle.topic.strip()[:300]
        post.angle = angle.angle.strip()[:300]
        post.plan_reason["topic"] = (
            f"Proposed by the LLM ({pool.provider}, {pool.model or 'default model'})"
            + (f": {angle.rationale.strip()}" if angle.rationale.strip() else ".")
        )[:1000]
        post.plan_reason["topic_source"] = "llm"
        post.plan_reason["topic_model"] = {
            "provider": pool.provider,
            "model": pool.model,
        }


def angle_source(workspace: Workspace) -> str:
    """Who proposes a new plan's topics and angles in this workspace, in the
    words the pages show: the LLM set for copy, or the offline planner."""
    from content.services.budget import resolve_provider

    choice = resolve_provider(workspace)
    if choice.is_offline:
        return "the offline planner (rules, no AI)"
    model = f", {choice.model}" if choice.model else ""
    return f"the AI model set for this workspace ({choice.provider}{model})"
