"""Which provider and model a workspace uses, what a request will cost, and the
monthly budget that refuses it before any call when it would not fit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from content.models import AISettings, Generation, GenerationStatus
from core.errors import ConflictError
from networks.copy_types import RenderedPrompt
from workspaces.models import Workspace

OFFLINE = "offline"
# What one call may write at most; the estimate assumes the worst case.
_MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class ProviderChoice:
    provider: str
    model: str

    @property
    def is_offline(self) -> bool:
        return self.provider == OFFLINE


@dataclass(frozen=True)
class Estimate:
    tokens: int
    cost: Decimal


def ai_settings_for(workspace: Workspace) -> AISettings | None:
    # Read with the workspace when the caller joined it (`post_for_generation`
    # does: one query fewer on every generation request, cached repeats too).
    cached = workspace._state.fields_cache
    if "ai_settings" in cached:
        return cached["ai_settings"]
    return AISettings.objects.filter(workspace=workspace).first()


def resolve_provider(workspace: Workspace) -> ProviderChoice:
    """The workspace's override, else the server's settings."""
    row = ai_settings_for(workspace)
    provider = (row.provider if row else "") or settings.LLM_PROVIDER or OFFLINE
    if row and row.provider and row.model:
        model = row.model
    elif row and row.provider and row.provider != settings.LLM_PROVIDER:
        model = ""  # another provider: the server's model name would not fit it
    else:
        model = (row.model if row else "") or settings.LLM_MODEL
    if provider == OFFLINE:
        from content.offline_writer import OfflineWriter

        model = OfflineWriter.model
    return ProviderChoice(provider, model)


def max_output_tokens() -> int:
    return int(settings.LLM_MAX_OUTPUT_TOKENS)


def price_of(model: str, tokens_in: int, tokens_out: int) -> Decimal:
    """USD for the tokens at settings.LLM_PRICES (per 1M tokens); unlisted: 0."""
    prices = (getattr(settings, "LLM_PRICES", None) or {}).get(model)
    if not prices:
        return Decimal(0)
    cost = (
        Decimal(str(prices["in"])) * tokens_in
        + Decimal(str(prices["out"])) * tokens_out
    ) / Decimal(1_000_000)
    return cost.quantize(_MICRO)


def estimate(choice: ProviderChoice, prompts: list[RenderedPrompt]) -> Estimate:
    """The worst case of one call per prompt: its length in tokens (four
    characters a token, rounded up) plus the most a call may write."""
    if choice.is_offline:
        return Estimate(0, Decimal(0))
    tokens_in = sum(math.ceil(len(p.system + p.user) / 4) for p in prompts)
    tokens_out = max_output_tokens() * len(prompts)
    return Estimate(
        tokens_in + tokens_out, price_of(choice.model, tokens_in, tokens_out)
    )


def month_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_spend(workspace: Workspace) -> tuple[Decimal, int]:
    """What the workspace spent on generation this calendar month (UTC):
    (cost in USD, tokens in + out). Jobs still queued or running count with
    their estimate, so two requests at once cannot both slip under the budget."""
    running = Q(status__in=[GenerationStatus.QUEUED, GenerationStatus.RUNNING])
    totals = Generation.objects.filter(
        workspace=workspace, created_at__gte=month_start()
    ).aggregate(
        cost=Coalesce(Sum("cost", filter=~running), Decimal(0)),
        reserved=Coalesce(Sum("estimated_cost", filter=running), Decimal(0)),
        tokens=Coalesce(Sum("tokens_in", filter=~running), 0)
        + Coalesce(Sum("tokens_out", filter=~running), 0),
        reserved_tokens=Coalesce(Sum("estimated_tokens", filter=running), 0),
    )
    cost = Decimal(totals["cost"]) + Decimal(totals["reserved"])
    return cost.quantize(_MICRO), int(totals["tokens"] + totals["reserved_tokens"])


def budget_check(workspace: Workspace, estimated: Estimate) -> None:
    """Refuse (409 `budget_exceeded`) when this month's spend plus the estimate
    goes past a budget. The caller holds the AISettings row lock."""
    row = ai_settings_for(workspace)
    if row is None or (row.monthly_budget is None and row.monthly_token_budget is None):
        return
    spend, tokens = month_spend(workspace)
    if row.monthly_budget is not None and spend + estimated.cost > row.monthly_budget:
        raise ConflictError(
            f"This would exceed the monthly budget of ${row.monthly_budget:.2f}: "
            f"${spend:.4f} spent this month and this request is estimated at "
            f"${estimated.cost:.4f}.",
            code="budget_exceeded",
            budget=str(row.monthly_budget),
            spend=str(spend),
            estimate=str(estimated.cost),
        )
    if (
        row.monthly_token_budget is not None
        and tokens + estimated.tokens > row.monthly_token_budget
    ):
        raise ConflictError(
            f"This would exceed the monthly token budget of "
            f"{row.monthly_token_budget:,} tokens: {tokens:,} used this month and "
            f"this request is estimated at {estimated.tokens:,}.",
            code="budget_exceeded",
            token_budget=row.monthly_token_budget,
            tokens=tokens,
            estimate_tokens=estimated.tokens,
        )


def lock_budget(workspace: Workspace) -> None:
    """Serialise budget checks of one workspace (inside a transaction)."""
    AISettings.objects.select_for_update().filter(workspace=workspace).first()
