"""Variants after they are written: a person's edits (tracked, re-measured,
re-gated), choosing one per channel, deleting, and the gate's say in the post's
approval. Streaming a new one for the editor is in `stream`."""

from __future__ import annotations

import copy
import difflib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post, PostStatus
from campaigns.services.brands import require
from connections.models import ChannelAccount
from content.models import (
    Variant,
    VariantEdit,
    VariantStatus,
)
from content.services import copy_checks
from content.services.variants.stream import variant_stream
from content.services.writing import (
    GateContext,
    gate_text,
    measure_report,
    post_for_generation,
    violation_dicts,
)
from workspaces.models import ApiKey, User
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

__all__ = [
    "MAX_TEXT",
    "gate_overridden",
    "gate_problems",
    "rule_report_for",
    "variant_choose",
    "variant_delete",
    "variant_gate_override",
    "variant_stream",
    "variant_update_text",
]

logger = logging.getLogger(__name__)

MAX_TEXT = 20_000
# Once a post is approved, changing its chosen copy sends it back to review
# (after publishing started: only that network's publications, see
# `lifecycle.after_edit`).
_REVIEWED = (
    PostStatus.APPROVED,
    PostStatus.SCHEDULED,
    *lifecycle.PUBLICATION_REVIEW_STATES,
)


def _editable(variant: Variant, by: Principal) -> Post:
    post = post_for_generation(variant.post)
    require(by, Action.EDIT_CONTENT, post.workspace)
    lifecycle.ensure_editable(post)
    return post


def _unified_diff(before: str, after: str) -> str:
    """A unified diff, one change per line even when a text lacks a final newline
    (with `keepends` a last line without one would run into the next)."""
    return "\n".join(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile="before",
            tofile="after",
            lineterm="",
        )
    )


def rule_report_for(variant: Variant, text: str) -> dict[str, object]:
    from networks import textrules

    lengths = [
        limit
        for account in _accounts_of(variant, variant.post)
        if (limit := copy_checks.account_limits(account).max_length) is not None
    ]
    spec = textrules.spec_for(variant.network, min(lengths) if lengths else None)
    brand = GateContext.for_post(variant.post, provider=variant.provider).brand
    violations = textrules.check(
        text, network=variant.network, brand=brand, max_length=spec.max_length
    )
    return {
        "measure": measure_report(variant.network, text, spec),
        "max_length": spec.max_length,
        "violations": violation_dicts(list(violations)),
        "retried": False,
        "shortened": False,
        "flagged": bool(violations),
        "edited": True,
    }


def variant_update_text(*, variant: Variant, by: Principal, text: str) -> Variant:
    """A person's edit: recorded with a unified diff, measured and gated again.

    `made_by` keeps who wrote the variant first; an earlier gate override is
    dropped (it was for the old text). Editing the chosen copy of an approved
    post sends the post back to review (`lifecycle.after_edit`).
    """
    post = _editable(variant, by)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["The text cannot be empty."]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [f"{MAX_TEXT} characters at most."]})
    before = variant.text
    if text == before:
        return variant
    variant.post = post
    _refuse_scheduled_over_limit(variant, post, text)
    ctx = GateContext.for_post(post, provider=variant.provider)
    # The gate checks the text as written; a label the policy asks for is
    # reported (required_label) but a person's text is not rewritten.
    _, gate, passed = gate_text(
        text,
        variant.network,
        replace(ctx, provider_moderation=False),
        None,
        add_label=False,
    )
    with transaction.atomic():
        locked = Variant.objects.select_for_update().get(pk=variant.pk)
        before = locked.text
        variant.text = text
        variant.rule_report = rule_report_for(variant, text)
        variant.gate, variant.gate_passed = gate, passed
        variant.gate_overridden_by, variant.gate_overridden_at = None, None
        variant.save(
            update_fields=[
                "text",
                "rule_report",
                "gate",
                "gate_passed",
                "gate_overridden_by",
                "gate_overridden_at",
                "updated_at",
            ]
        )
        VariantEdit.objects.create(
            variant=variant,
            by=by if isinstance(by, User) else None,
            by_key=by if isinstance(by, ApiKey) else None,
            before=before,
            after=text,
            diff=_unified_diff(before, text),
        )
        if locked.status == VariantStatus.CHOSEN:
            lifecycle.after_edit(
                post, by=by, content_changed=True, networks={variant.network}
            )
    return variant


def _refuse_scheduled_over_limit(variant: Variant, post: Post, text: str) -> None:
    """The chosen copy of a scheduled post that no review will see again (the
    workspace does not require approval) must keep fitting: no later step
    would stop it before the network refuses it."""
    if (
        variant.status != VariantStatus.CHOSEN
        or post.status != PostStatus.SCHEDULED
        or post.workspace.approval_required
    ):
        return
    probe = copy.copy(variant)
    probe.text = text
    problems = copy_checks.variant_limit_problems(probe, _accounts_of(variant, post))
    if problems:
        raise ValidationError(
            {
                "text": [
                    f"The post is scheduled with this copy, so it must fit: {p}"
                    for p in problems
                ]
            }
        )


def variant_choose(*, variant: Variant, by: Principal) -> Variant:
    """Make `variant` the copy of its post on its network (the previous choice
    goes back to proposed). A new choice on an approved post needs a new review.

    A variant whose text breaks a limit of one of the post's accounts on its
    network (length, bytes, a thread part; the account's own limit where it set
    one) is refused with the reasons (`ValidationError` on "text"): the
    network would refuse it.
    """
    post = _editable(variant, by)
    problems = copy_checks.variant_limit_problems(variant, _accounts_of(variant, post))
    if problems:
        raise ValidationError({"text": problems})
    with transaction.atomic():
        current = (
            Variant.objects.select_for_update()
            .filter(post=post, network=variant.network, status=VariantStatus.CHOSEN)
            .exclude(pk=variant.pk)
        )
        changed = current.update(status=VariantStatus.PROPOSED) > 0
        was = (
            Variant.objects.filter(pk=variant.pk)
            .values_list("status", flat=True)
            .first()
        )
        Variant.objects.filter(pk=variant.pk).update(
            status=VariantStatus.CHOSEN, updated_at=timezone.now()
        )
        variant.status = VariantStatus.CHOSEN
        if changed or was != VariantStatus.CHOSEN:
            lifecycle.after_edit(
                post,
                by=by,
                content_changed=post.status in _REVIEWED,
                networks={variant.network},
            )
    return variant


def _accounts_of(variant: Variant, post: Post) -> list[ChannelAccount]:
    return [a for a in post.accounts.all() if a.network == variant.network]


def variant_delete(*, variant: Variant, by: Principal) -> None:
    """Remove a variant; removing the chosen copy of an approved post sends it
    back to review."""
    post = _editable(variant, by)
    with transaction.atomic():
        was_chosen = variant.status == VariantStatus.CHOSEN
        variant.delete()
        if was_chosen:
            lifecycle.after_edit(
                post, by=by, content_changed=True, networks={variant.network}
            )


def variant_gate_override(*, variant: Variant, by: Principal) -> Variant:
    """Record that an owner or admin accepts a variant the gate failed."""
    from workspaces.models import Role, User
    from workspaces.permissions import role_in_workspace

    post = post_for_generation(variant.post)
    # Only a person has a role (a key or an anonymous caller has none).
    if not isinstance(by, User) or role_in_workspace(by, post.workspace) not in (
        Role.OWNER,
        Role.ADMIN,
    ):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only an owner or admin may accept a failed check.")
    now = timezone.now()
    Variant.objects.filter(pk=variant.pk).update(
        gate_overridden_by=by, gate_overridden_at=now
    )
    variant.gate_overridden_by, variant.gate_overridden_at = by, now
    return variant


# --- The approval gate -----------------------------------------------------------


def _failing(post: Post) -> list[Variant]:
    return list(
        Variant.objects.filter(
            post=post,
            status=VariantStatus.CHOSEN,
            gate_passed=False,
            gate_overridden_at__isnull=True,
        ).order_by("network", "label")
    )


def gate_problems(post: Post) -> list[str]:
    """Why the post's chosen copy fails the brand-safety gate (registered with
    `campaigns.lifecycle.register_approval_check`); empty when it passes."""
    problems = []
    for variant in _failing(post):
        reasons = "; ".join(
            r.get("message", r.get("code", "")) for r in variant.gate.get("reasons", [])
        )
        problems.append(
            f"{variant.network} variant {variant.label} fails the brand-safety "
            f"check ({reasons or 'no reason given'})"
        )
    return problems


def gate_overridden(post: Post, by: Principal) -> None:
    """An admin approved despite the problems: mark those variants overridden."""
    Variant.objects.filter(pk__in=[v.pk for v in _failing(post)]).update(
        gate_overridden_by=by if isinstance(by, User) else None,
        gate_overridden_at=timezone.now(),
    )
