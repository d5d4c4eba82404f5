"""The worker's side of a copy generation: claim the job, write its channels in
a bounded pool (`writing.write_channel`), store each channel's variants with
provenance as they finish, report progress, stop when canceled, and fail with
the provider's message or "internal error".
"""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns.models import Post
from connections.models import ChannelAccount
from content.models import (
    Generation,
    GenerationStatus,
    MadeBy,
    Variant,
)
from content.services import budget, limits
from content.services.writing import (
    ChannelOutcome,
    GateContext,
    Plan,
    plan_for,
    post_for_generation,
    write_channel,
)
from networks.copy_types import LLMError

logger = logging.getLogger(__name__)


class LabelMaker:
    """Next free labels per network on a post: A…Z, then AA, AB…"""

    def __init__(self, post: Post) -> None:
        self.used: dict[str, set[str]] = {}
        for network, label in Variant.objects.filter(post=post).values_list(
            "network", "label"
        ):
            self.used.setdefault(network, set()).add(label)

    def next(self, network: str) -> str:
        used = self.used.setdefault(network, set())
        n = 0
        while True:
            label = _label(n)
            if label not in used:
                used.add(label)
                return label
            n += 1


def _label(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _is_canceled(generation_id: int) -> bool:
    return (
        Generation.objects.filter(pk=generation_id)
        .values_list("status", flat=True)
        .first()
        == GenerationStatus.CANCELED
    )


def store(
    generation: Generation,
    post: Post,
    outcome: ChannelOutcome,
    labels: LabelMaker,
) -> list[Variant]:
    """Save one channel's variants unless the generation was canceled meanwhile."""
    return store_many(generation, post, [outcome], labels)


def store_many(
    generation: Generation,
    post: Post,
    outcomes: list[ChannelOutcome],
    labels: LabelMaker,
) -> list[Variant]:
    """Save the variants of every channel in `outcomes` in one transaction (one
    status check, one insert, one cost update) unless the generation was
    canceled meanwhile. Channels that finish together cost one commit, not one
    each: the job's single database thread is what the pool waits on."""
    variants: list[Variant] = []
    tokens_in = tokens_out = 0
    cost = Decimal(0)
    for outcome in outcomes:
        tokens_in += outcome.usage.tokens_in
        tokens_out += outcome.usage.tokens_out
        cost += Decimal(str(outcome.usage.cost))
        variants.extend(_rows(generation, post, outcome, labels))
    with transaction.atomic():
        status = (
            Generation.objects.select_for_update()
            .filter(pk=generation.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status != GenerationStatus.RUNNING:
            return []
        Variant.objects.bulk_create(variants)
        Generation.objects.filter(pk=generation.pk).update(
            tokens_in=generation.tokens_in + tokens_in,
            tokens_out=generation.tokens_out + tokens_out,
            cost=generation.cost + cost,
        )
        generation.tokens_in += tokens_in
        generation.tokens_out += tokens_out
        generation.cost += cost
    return variants


def _rows(
    generation: Generation, post: Post, outcome: ChannelOutcome, labels: LabelMaker
) -> list[Variant]:
    """One channel's variants, unsaved, each with its share of the usage."""
    # Only the channels the request named: a writer that answered for another
    # network (a model may) never lands on that network's tab.
    wanted = set(generation.networks or [])
    n = max(1, len(outcome.items))
    share_cost = Decimal(str(outcome.usage.cost)) / n
    return [
        Variant(
            workspace_id=post.workspace_id,
            post=post,
            generation=generation,
            network=item.network,
            account_id=outcome.account_id,
            label=labels.next(item.network),
            text=item.text,
            hashtags=list(item.draft.hashtags),
            link_placement=item.draft.link_placement or "end",
            alt_text=item.draft.alt_text,
            image_prompt=item.draft.image_prompt,
            rationale=item.draft.rationale,
            rule_report=item.rule_report,
            gate=item.gate,
            gate_passed=item.gate_passed,
            provider=outcome.provider or generation.provider,
            model=outcome.model or generation.model,
            prompt_template=generation.prompt_template,
            prompt_version=generation.prompt_version,
            inputs_hash=generation.inputs_hash,
            tokens_in=outcome.usage.tokens_in // n,
            tokens_out=outcome.usage.tokens_out // n,
            cost=share_cost.quantize(Decimal("0.000001")),
            latency_ms=outcome.usage.latency_ms,
            made_by=MadeBy.MACHINE,
            created_by=generation.created_by,
            created_by_key=generation.created_by_key,
        )
        for item in outcome.items
        if not wanted or item.network in wanted
    ]


def _progress(generation: Generation, done: int, total: int, message: str) -> None:
    percent = min(99, int(done * 100 / max(1, total)))
    Generation.objects.filter(pk=generation.pk, status=GenerationStatus.RUNNING).update(
        progress=percent, message=message[:300]
    )


def finish(generation: Generation, **fields: Any) -> bool:
    """Set the final state unless the generation was canceled meanwhile."""
    fields.setdefault("finished_at", timezone.now())
    return bool(
        Generation.objects.filter(
            pk=generation.pk, status=GenerationStatus.RUNNING
        ).update(**fields)
    )


def run_generation(generation_id: int) -> None:
    """The worker's side of `generation_request`: claim, write, check, store.

    Channels are written in a pool of `LLM_CONCURRENCY` threads (each call also
    holds a cross-process provider slot). A provider error fails the job with
    its message; anything unexpected fails it with "internal error" and is
    logged. A canceled job stores nothing more.
    """
    claimed = Generation.objects.filter(
        pk=generation_id, status=GenerationStatus.QUEUED
    ).update(
        status=GenerationStatus.RUNNING,
        started_at=timezone.now(),
        message="Writing",
    )
    generation = (
        Generation.objects.select_related("workspace").filter(pk=generation_id).first()
    )
    if generation is None:
        logger.warning("generation %s is gone; nothing to do", generation_id)
        return
    if not claimed:
        logger.info(
            "generation %s is taken or done (%s); skipping",
            generation_id,
            generation.status,
        )
        return
    try:
        _run(generation)
    except LLMError as exc:
        logger.info("generation %s failed: %s", generation.pk, exc)
        finish(
            generation,
            status=GenerationStatus.FAILED,
            error=str(exc)[:2000],
            message="Failed",
        )
    except Exception:
        logger.exception("generation %s failed unexpectedly", generation.pk)
        finish(
            generation,
            status=GenerationStatus.FAILED,
            error="internal error",
            message="Failed",
        )


def _run(generation: Generation) -> None:
    from content import llm

    post = post_for_generation(generation.post)
    accounts = list(
        ChannelAccount.objects.filter(pk__in=generation.accounts, posts=post)
    )
    if not accounts:
        finish(
            generation,
            status=GenerationStatus.FAILED,
            error="The post no longer has the channels this generation was for.",
            message="Failed",
        )
        return
    options = generation.options or {}
    choice = budget.ProviderChoice(generation.provider, generation.model)
    plan = plan_for(
        post=post,
        accounts=accounts,
        count=generation.count,
        tone=options.get("tone", ""),
        language=options.get("language", ""),
        choice=choice,
    )
    provider = llm.get_provider(choice.provider, choice.model or None)
    stored = _write_all(generation, post, plan, provider)
    if stored is None:
        return
    finish(
        generation,
        status=GenerationStatus.SUCCEEDED,
        progress=100,
        message=f"{stored} variants written",
    )
    logger.info(
        "generation %s: %d variants, %d+%d tokens, $%s",
        generation.pk,
        stored,
        generation.tokens_in,
        generation.tokens_out,
        generation.cost,
    )


def _write_all(
    generation: Generation, post: Post, plan: Plan, provider: Any
) -> int | None:
    """Every channel of `plan` in the pool, stored as each finishes: how many
    variants were stored, or None when the generation was canceled meanwhile."""
    ctx = GateContext.for_post(post, provider=plan.choice.provider)
    labels = LabelMaker(post)
    total, done, stored = len(plan.tasks), 0, 0
    _progress(generation, 0, total, f"Writing for {', '.join(plan.networks)}")
    workers = min(limits.concurrency(), total)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
        pending: set[Future[ChannelOutcome]] = {
            pool.submit(write_channel, provider, plan.choice.provider, task, ctx)
            for task in plan.tasks
        }
        try:
            while pending:
                finished, pending = wait(
                    pending, timeout=1.0, return_when=FIRST_COMPLETED
                )
                if _is_canceled(generation.pk):
                    logger.info("generation %s canceled while running", generation.pk)
                    return None
                # result() re-raises the thread's error.
                outcomes = [future.result() for future in finished]
                stored += len(store_many(generation, post, outcomes, labels))
                done += len(outcomes)
                written = ", ".join(o.network for o in outcomes)
                _progress(generation, done, total, f"{written}: written")
        finally:
            for future in pending:
                future.cancel()
    return stored
