"""The campaign's posts as the plan sees them: which drafts a re-plan may
replace (rule 1 of `workflow.planner`) and what the kept posts occupy.

Compared before and after the lock: a different snapshot means the campaign
changed while the plan was computed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from campaigns.models import (
    Campaign,
    CampaignChannel,
    Pillar,
    Post,
    PostOrigin,
    PostStatus,
)


@dataclass(frozen=True)
class _Kept:
    pk: int
    pillar_id: int | None
    scheduled_at: datetime | None
    account_ids: tuple[int, ...]
    occupies: bool  # canceled posts are kept but occupy no slot


@dataclass(frozen=True)
class Snapshot:
    cadences: tuple[tuple[int, int], ...]  # (account id, per week)
    pillars: tuple[tuple[int, int], ...]  # (pillar id, weight)
    deletable: frozenset[int]
    kept: tuple[_Kept, ...]


def take_snapshot(
    campaign: Campaign, cadences: list[CampaignChannel], pillars: list[Pillar]
) -> Snapshot:
    rows = list(
        Post.objects.filter(campaign=campaign).values_list(
            "pk", "status", "origin", "touched_at", "pillar_id", "scheduled_at"
        )
    )
    links: dict[int, list[int]] = defaultdict(list)
    through = Post.accounts.through
    for post_id, account_id in through.objects.filter(
        post__campaign=campaign
    ).values_list("post_id", "channelaccount_id"):
        links[post_id].append(account_id)
    deletable, kept = set(), []
    for pk, status, origin, touched_at, pillar_id, scheduled_at in rows:
        if _is_replaceable(status, origin, touched_at):
            deletable.add(pk)
        else:
            kept.append(
                _Kept(
                    pk,
                    pillar_id,
                    scheduled_at,
                    tuple(sorted(links.get(pk, []))),
                    status != PostStatus.CANCELED,
                )
            )
    return Snapshot(
        cadences=tuple((c.account_id, c.posts_per_week) for c in cadences),
        pillars=tuple((p.pk, p.weight) for p in pillars),
        deletable=frozenset(deletable),
        kept=tuple(sorted(kept, key=lambda k: k.pk)),
    )


def _is_replaceable(status: str, origin: str, touched_at: datetime | None) -> bool:
    return (
        origin == PostOrigin.PLANNER
        and status == PostStatus.DRAFT
        and touched_at is None
    )
