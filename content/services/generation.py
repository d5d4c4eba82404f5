"""Copy generation jobs: request (permission, validation, reuse, budget), run
(the worker's side: channels written in a bounded pool by
`writing.write_channel`, stored with provenance as they finish, progress,
cancel, errors) and cancel."""

from __future__ import annotations

import functools
import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from campaigns.errors import ConflictError
from campaigns.lifecycle import ensure_editable
from campaigns.models import ApiKey, Post, User
from campaigns.permissions import Action
from campaigns.services.brands import require
from channels.models import ChannelAccount, Network
from content.copy_types import LLMError
from content.models import (
    Generation,
    GenerationStatus,
    MadeBy,
    Variant,
    VariantStatus,
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

if TYPE_CHECKING:
    from campaigns.permissions import Principal

logger = logging.getLogger(__name__)

MAX_COUNT = 6
_LIVE = (GenerationStatus.QUEUED, GenerationStatus.RUNNING)


# --- Request -------------------------------------------------------------------


def _validate(
    post: Post,
    accounts: list[ChannelAccount] | None,
    count: int,
    network: str | None = None,
) -> list[ChannelAccount]:
    """The post's accounts the request writes for: those named, narrowed to
    `network` when one is given (a tab of the editor); all of them when
    neither is given. Writing for one channel never touches another."""
    errors: dict[str, list[str]] = {}
    if (
        not isinstance(count, int)
        or isinstance(count, bool)
        or not (1 <= count <= MAX_COUNT)
    ):
        errors["count"] = [f"Ask for 1 to {MAX_COUNT} variants."]
    own = {a.pk: a for a in post.accounts.all()}
    chosen: list[ChannelAccount] = []
    if accounts is None:
        chosen = list(own.values())
    else:
        for account in accounts:
            pk = getattr(account, "pk", account)
            if pk not in own:
                errors.setdefault("accounts", []).append(
                    f"Account {pk} is not one of this post's channels."
                )
            else:
                chosen.append(own[pk])
    if network and own:
        on_network = [a for a in chosen if a.network == network]
        if network not in Network.values:
            errors["network"] = [f"Unknown network “{network}”."]
        elif accounts is not None and len(on_network) < len(chosen):
            errors.setdefault("accounts", []).append(
                f"Give only accounts on {Network(network).label}, "
                "the network asked for."
            )
        elif not on_network:
            errors["network"] = [
                f"This post has no {Network(network).label} channel account."
            ]
        chosen = on_network
    if errors:
        raise ValidationError(errors)
    if not chosen:
        raise ConflictError(
            "Choose at least one channel account for this post before generating.",
            code="not_ready",
        )
    return chosen


def generation_request(
    *,
    post: Post,
    by: Principal,
    accounts: list[ChannelAccount] | None = None,
    network: str | None = None,
    count: int = 3,
    tone: str = "",
    language: str = "",
    fresh: bool = False,
) -> Generation:
    """Ask for `count` variants of `post` on `accounts` (default: all of them),
    only on `network` when given: the job writes for those channels only.

    An identical earlier request (same inputs hash: brand, campaign, post,
    channels, options, provider, model, prompt version) that succeeded is
    reused without calling the model unless `fresh`: the new generation is
    `succeeded` at once with `cache_hit` and copies of its variants. Otherwise
    the budget is checked (409 `budget_exceeded` before any call), the row is
    created `queued` and `content.tasks.run_generation` is enqueued after the
    commit.
    """
    post = post_for_generation(post)
    require(by, Action.EDIT_CONTENT, post.workspace)
    ensure_editable(post)
    chosen = _validate(post, accounts, count, network)
    tone, language = (tone or "").strip()[:100], (language or "").strip()[:20]
    plan = plan_for(
        post=post, accounts=chosen, count=count, tone=tone, language=language
    )
    common = {
        "workspace": post.workspace,
        "post": post,
        "networks": list(plan.networks),
        "accounts": list(plan.account_ids),
        "count": count,
        "options": {"tone": tone, "language": language, "fresh": bool(fresh)},
        "provider": plan.choice.provider,
        "model": plan.choice.model,
        "prompt_template": plan.template,
        "prompt_version": plan.version,
        "inputs_hash": plan.inputs_hash,
        "created_by": by if isinstance(by, User) else None,
        "created_by_key": by if isinstance(by, ApiKey) else None,
    }
    if not fresh:
        reused = _reuse(plan, common, by)
        if reused is not None:
            return reused
    with transaction.atomic():
        budget.lock_budget(post.workspace)
        budget.budget_check(post.workspace, plan.estimate)
        generation = Generation.objects.create(
            **common,
            estimated_cost=plan.estimate.cost,
            estimated_tokens=plan.estimate.tokens,
            message="Queued",
        )
        transaction.on_commit(lambda: _enqueue(generation.pk))
    logger.info(
        "generation %s queued for post %s (%s/%s, %d x %s)",
        generation.pk,
        post.pk,
        plan.choice.provider,
        plan.choice.model,
        count,
        ",".join(plan.networks),
    )
    return generation


def _enqueue(generation_id: int) -> None:
    from content.tasks import run_generation

    run_generation.delay(generation_id)


# What a reused variant takes from its original; the rest is its own (post,
# generation, label, status, account, who asked, the gate override, times).
_NOT_COPIED = frozenset(
    {
        "id",
        "post_id",
        "generation_id",
        "status",
        "label",
        "created_at",
        "updated_at",
        "gate_overridden_by_id",
        "gate_overridden_at",
        "account_id",
        "created_by_id",
        "created_by_key_id",
    }
)


@functools.cache
def _copied_fields() -> tuple[str, ...]:
    return tuple(
        f.attname for f in Variant._meta.concrete_fields if f.attname not in _NOT_COPIED
    )


def _reuse(plan: Plan, common: dict[str, Any], by: Principal) -> Generation | None:
    # The newest identical generation's variants in one query (a subquery picks
    # the generation): the cached path is read on every repeat.
    newest = (
        Generation.objects.filter(
            workspace=plan.post.workspace,
            inputs_hash=plan.inputs_hash,
            status=GenerationStatus.SUCCEEDED,
        )
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    originals = list(
        Variant.objects.filter(generation_id=Subquery(newest))
        .order_by("network", "label", "pk")
        .values("generation_id", *_copied_fields())
    )
    if not originals:
        return None
    source_id = originals[0]["generation_id"]
    now = timezone.now()
    with transaction.atomic():
        generation = Generation.objects.create(
            **common,
            status=GenerationStatus.SUCCEEDED,
            progress=100,
            message=f"Reused {len(originals)} variants of an identical request",
            cache_hit=True,
            reused_from_id=source_id,
            started_at=now,
            finished_at=now,
        )
        labels = LabelMaker(plan.post)
        copies = [
            Variant(
                **{**original, "generation_id": generation.pk},
                post=plan.post,
                status=VariantStatus.PROPOSED,
                label=labels.next(original["network"]),
                account_id=_account_for(plan, original["network"]),
                created_by=common["created_by"],
                created_by_key=common["created_by_key"],
            )
            for original in originals
        ]
        Variant.objects.bulk_create(copies)
    logger.info(
        "generation %s for post %s reused generation %s",
        generation.pk,
        plan.post.pk,
        source_id,
    )
    return generation


def _account_for(plan: Plan, network: str) -> int | None:
    for task in plan.tasks:
        for spec in task.channels:
            if spec.network == network:
                return spec.account_id
    return None


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


# --- Cancel ---------------------------------------------------------------------


def generation_cancel(*, generation: Generation, by: Principal) -> Generation:
    """Stop a queued or running generation; what it stored so far stays, it
    stores nothing more (the worker checks between steps and before storing)."""
    require(by, Action.EDIT_CONTENT, generation.workspace)
    now = timezone.now()
    done = Generation.objects.filter(pk=generation.pk, status__in=_LIVE).update(
        status=GenerationStatus.CANCELED,
        canceled_at=now,
        finished_at=now,
        message="Canceled",
    )
    generation.refresh_from_db()
    if not done:
        raise ConflictError(
            f"This generation is already {generation.get_status_display().lower()}.",
            code="not_cancelable",
            status=generation.status,
        )
    logger.info("generation %s canceled", generation.pk)
    return generation


def _is_canceled(generation_id: int) -> bool:
    return (
        Generation.objects.filter(pk=generation_id)
        .values_list("status", flat=True)
        .first()
        == GenerationStatus.CANCELED
    )


# --- Run: the job ----------------------------------------------------------------


def store(
    generation: Generation,
    post: Post,
    outcome: ChannelOutcome,
    labels: LabelMaker,
    *,
    by: Principal | None = None,
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
    # Only the channels the request named: a writer that answered for another
    # network (a model may) never lands on that network's tab.
    wanted = set(generation.networks or [])
    tokens_in = tokens_out = 0
    cost = Decimal(0)
    for outcome in outcomes:
        n = max(1, len(outcome.items))
        share_in = outcome.usage.tokens_in // n
        share_out = outcome.usage.tokens_out // n
        share_cost = Decimal(str(outcome.usage.cost)) / n
        tokens_in += outcome.usage.tokens_in
        tokens_out += outcome.usage.tokens_out
        cost += Decimal(str(outcome.usage.cost))
        variants.extend(
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
                tokens_in=share_in,
                tokens_out=share_out,
                cost=share_cost.quantize(Decimal("0.000001")),
                latency_ms=outcome.usage.latency_ms,
                made_by=MadeBy.MACHINE,
                created_by=generation.created_by,
                created_by_key=generation.created_by_key,
            )
            for item in outcome.items
            if not wanted or item.network in wanted
        )
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
    ctx = GateContext.for_post(post, provider=choice.provider)
    labels = LabelMaker(post)
    total, done, stored = len(plan.tasks), 0, 0
    _progress(generation, 0, total, f"Writing for {', '.join(plan.networks)}")
    workers = min(limits.concurrency(), total)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
        pending: set[Future[ChannelOutcome]] = {
            pool.submit(write_channel, provider, choice.provider, task, ctx)
            for task in plan.tasks
        }
        try:
            while pending:
                finished, pending = wait(
                    pending, timeout=1.0, return_when=FIRST_COMPLETED
                )
                if _is_canceled(generation.pk):
                    logger.info("generation %s canceled while running", generation.pk)
                    return
                # result() re-raises the thread's error.
                outcomes = [future.result() for future in finished]
                stored += len(store_many(generation, post, outcomes, labels))
                done += len(outcomes)
                written = ", ".join(o.network for o in outcomes)
                _progress(generation, done, total, f"{written}: written")
        finally:
            for future in pending:
                future.cancel()
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
