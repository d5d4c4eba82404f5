"""Copy generation jobs: request (permission, validation, reuse, budget) and
cancel, here; run (the worker's side: channels written in a bounded pool by
`writing.write_channel`, stored with provenance as they finish, progress,
cancel, errors) in `run`.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from campaigns.lifecycle import ensure_editable
from campaigns.models import Post
from campaigns.services.brands import require
from connections.models import ChannelAccount, Network
from content.models import (
    Generation,
    GenerationStatus,
    Variant,
    VariantStatus,
)
from content.services import budget
from content.services.generation.run import (
    LabelMaker,
    finish,
    run_generation,
    store,
    store_many,
)
from content.services.writing import (
    Plan,
    plan_for,
    post_for_generation,
)
from core.errors import ConflictError
from workspaces.models import ApiKey, User
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

__all__ = [
    "MAX_COUNT",
    "LabelMaker",
    "finish",
    "generation_cancel",
    "generation_request",
    "run_generation",
    "store",
    "store_many",
]

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
            pk = account.pk
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
    options = {"tone": tone, "language": language, "fresh": bool(fresh)}
    common = _common_fields(post, plan, count, options, by)
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


def _common_fields(
    post: Post, plan: Plan, count: int, options: dict[str, Any], by: Principal
) -> dict[str, Any]:
    """The fields a new generation and a reused one share."""
    return {
        "workspace": post.workspace,
        "post": post,
        "networks": list(plan.networks),
        "accounts": list(plan.account_ids),
        "count": count,
        "options": options,
        "provider": plan.choice.provider,
        "model": plan.choice.model,
        "prompt_template": plan.template,
        "prompt_version": plan.version,
        "inputs_hash": plan.inputs_hash,
        "created_by": by if isinstance(by, User) else None,
        "created_by_key": by if isinstance(by, ApiKey) else None,
    }


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
