"""What a (re-)plan did, per account and per pillar; the job's result is
`PlanResult.summary()`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from campaigns.models import Post

# The planner's name in every post's `plan_reason` and in the job's result.
PLANNER = "offline-rules-v1"


@dataclass
class AccountPlan:
    account_id: int
    name: str
    network: str
    posts_per_week: int
    target: int = 0
    kept: int = 0
    created: int = 0
    shortfall: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "network": self.network,
            "posts_per_week": self.posts_per_week,
            "target": self.target,
            "kept": self.kept,
            "created": self.created,
            "shortfall": self.shortfall,
        }


@dataclass
class PillarPlan:
    pillar_id: int
    name: str
    weight: int
    target: int = 0
    kept: int = 0
    created: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "weight": self.weight,
            "target": self.target,
            "kept": self.kept,
            "created": self.created,
        }


@dataclass
class PlanResult:
    """What a (re-)plan did; `summary()` is the job's result."""

    created: int = 0
    kept: int = 0
    deleted: int = 0
    per_account: dict[int, AccountPlan] = field(default_factory=dict)
    per_pillar: dict[int, PillarPlan] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list, repr=False)
    # The account of each of `posts`, in the same order (saved with them).
    account_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def shortfall(self) -> int:
        return sum(a.shortfall for a in self.per_account.values())

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "kept": self.kept,
            "deleted": self.deleted,
            "shortfall": self.shortfall,
            "per_account": {str(pk): a.as_dict() for pk, a in self.per_account.items()},
            "per_pillar": {p.name: p.as_dict() for p in self.per_pillar.values()},
            "warnings": self.warnings,
            "planner": PLANNER,
        }
