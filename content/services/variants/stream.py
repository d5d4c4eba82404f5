"""Streaming one new variant to the editor: text deltas as the model writes,
then the stored `Variant` with the channel rules, one rewrite and the gate
applied, as a written generation would have it. A `Generation` row (count 1)
records the call; closing the stream early cancels it and stores nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post
from campaigns.services.brands import require
from content.models import Generation, GenerationStatus, Variant
from content.services import budget
from content.services.generation import LabelMaker, finish, store
from content.services.writing import (
    GateContext,
    Plan,
    call_provider,
    finish_channel,
    plan_for,
    post_for_generation,
    stream_channel,
)
from networks.copy_types import CopyResult, LLMError
from workspaces.models import ApiKey, User
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger(__name__)


def variant_stream(
    *,
    post: Post,
    by: Principal,
    network: str,
    tone: str = "",
    language: str = "",
) -> Iterator[str | Variant]:
    """Write one variant for one network of `post`, yielding text deltas as they
    arrive and then the stored `Variant` (rules, one rewrite, gate applied).

    The checks (permission, channel, budget) run before the first yield's
    call; a `Generation` row (count 1) records the call's cost. Closing the
    iterator early cancels that generation and stores nothing.
    """
    from content import llm

    post = post_for_generation(post)
    require(by, Action.EDIT_CONTENT, post.workspace)
    lifecycle.ensure_editable(post)
    accounts = [a for a in post.accounts.all() if a.network == network]
    if not accounts:
        raise ValidationError({"network": [f"This post has no {network} channel."]})
    tone, language = (tone or "").strip()[:100], (language or "").strip()[:20]
    plan = plan_for(post=post, accounts=accounts, count=1, tone=tone, language=language)
    with transaction.atomic():
        budget.lock_budget(post.workspace)
        budget.budget_check(post.workspace, plan.estimate)
        generation = Generation.objects.create(
            workspace=post.workspace,
            post=post,
            networks=[network],
            accounts=list(plan.account_ids),
            count=1,
            options={"tone": tone, "language": language, "fresh": True, "stream": True},
            status=GenerationStatus.RUNNING,
            started_at=timezone.now(),
            message="Streaming",
            provider=plan.choice.provider,
            model=plan.choice.model,
            prompt_template=plan.template,
            prompt_version=plan.version,
            inputs_hash=plan.inputs_hash,
            estimated_cost=plan.estimate.cost,
            estimated_tokens=plan.estimate.tokens,
            created_by=by if isinstance(by, User) else None,
            created_by_key=by if isinstance(by, ApiKey) else None,
        )
    return _stream(generation, post, plan, llm)


def _stream(
    generation: Generation, post: Post, plan: Plan, llm: ModuleType
) -> Iterator[str | Variant]:
    choice = plan.choice
    task = plan.tasks[0]
    finished = False
    try:
        provider = llm.get_provider(choice.provider, choice.model or None)
        result: CopyResult | None = None
        for piece in stream_channel(provider, choice.provider, task):
            if isinstance(piece, CopyResult):
                result = piece
            else:
                yield piece
        if result is None:
            raise LLMError("The stream ended without a result.", permanent=True)
        ctx = GateContext.for_post(post, provider=choice.provider)
        outcome = finish_channel(
            provider=provider,
            provider_name=choice.provider,
            task=task,
            result=result,
            ctx=ctx,
            rewrite=lambda t: call_provider(provider, choice.provider, t),
        )
        stored = store(generation, post, outcome, LabelMaker(post))
        finish(
            generation,
            status=GenerationStatus.SUCCEEDED,
            progress=100,
            message=f"{len(stored)} variant written",
        )
        finished = True
        yield from stored
    except Exception as exc:
        if isinstance(exc, LLMError):
            error = str(exc)[:2000]
        else:
            logger.exception("streamed generation %s failed", generation.pk)
            error = "internal error"
        finish(
            generation, status=GenerationStatus.FAILED, error=error, message="Failed"
        )
        finished = True
        raise
    finally:
        if not finished:  # the client went away: nothing is stored
            _closed_early(generation)


def _closed_early(generation: Generation) -> None:
    now = timezone.now()
    Generation.objects.filter(pk=generation.pk, status=GenerationStatus.RUNNING).update(
        status=GenerationStatus.CANCELED,
        canceled_at=now,
        finished_at=now,
        message="Canceled (the editor closed the stream)",
        cost=Decimal(0),
    )
