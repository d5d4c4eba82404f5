"""A person's actions on one publication: publish it now, retry it, cancel it,
settle an unconfirmed one. Each acts on that one publication only."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from campaigns.models import Post
from core.errors import ConflictError
from publishing import failures
from publishing.delivery.creating import chosen_variant_id
from publishing.delivery.moves import CANCELABLE, publication_move
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from workspaces.permissions import Action, can


def _require(by: Any, publication: Publication) -> None:
    if by is None or not can(by, Action.EDIT_CONTENT, publication.workspace):
        raise PermissionDenied("Your role does not allow this.")


def _conflict(publication: Publication, what: str) -> ConflictError:
    label = PS(publication.status).label.lower()
    return ConflictError(
        f"A publication that is {label} cannot be {what}.",
        code="transition_not_allowed",
        status=publication.status,
    )


def publish_now(publication: Publication, *, by: Any) -> Publication:
    """Publish this one scheduled publication at the next dispatcher tick.

    Only this one: it gets its own time (`due_override`), so the post's time,
    its other publications and the dispatcher's re-aligning leave it alone.
    """
    _require(by, publication)
    if publication.account.planning_only:
        raise ConflictError(
            f"{publication.account.name} is planning only (no credentials): "
            "connect it to publish.",
            code="planning_only",
            status=publication.status,
        )
    now = timezone.now()
    updated = Publication.objects.filter(pk=publication.pk, status=PS.SCHEDULED).update(
        due_at=now, next_attempt_at=now, due_override=True, updated_at=now
    )
    if not updated:
        raise _conflict(publication, "published now")
    return Publication.objects.get(pk=publication.pk)


def publication_retry(publication: Publication, *, by: Any) -> Publication:
    """Try one failed publication again, now, with the same idempotency key and
    the copy chosen now; the post follows (`_posts_sync`), its time unchanged.

    Refused (409, saying why) when a retry cannot fix the failure
    (`publishing.failures`): the copy needs editing or the account reconnecting.
    """
    _require(by, publication)
    reason = failures.not_retryable_reason(publication)
    if reason:
        raise ConflictError(
            reason,
            code="not_retryable",
            status=publication.status,
            fix=failures.fix_for(publication),
        )
    now = timezone.now()
    post = Post.objects.get(pk=publication.post_id)
    moved = publication_move(
        [publication.pk],
        to=PS.SCHEDULED,
        sources=[PS.FAILED],
        due_at=now,
        next_attempt_at=now,
        due_override=True,
        variant_id=chosen_variant_id(post, publication.account),
        first_attempt_at=None,
        finished_at=None,
        error="",
        error_kind="",
    )
    if not moved:
        raise _conflict(publication, "retried")
    return Publication.objects.get(pk=publication.pk)


def publication_cancel(publication: Publication, *, by: Any) -> Publication:
    """Cancel one publication that has not been claimed by a worker yet."""
    _require(by, publication)
    if not publication_move([publication.pk], to=PS.CANCELED, sources=CANCELABLE):
        raise _conflict(publication, "canceled")
    return Publication.objects.get(pk=publication.pk)


Outcome = Literal["published", "failed", "retry"]


def publication_resolve(
    publication: Publication,
    *,
    outcome: Outcome,
    by: Any,
    external_id: str = "",
    url: str = "",
) -> Publication:
    """A person settles an `unconfirmed` publication after checking the network:
    "published" (optionally with its id and URL), "failed" (it is not there), or
    "retry" (not there: send it again now, same idempotency key)."""
    _require(by, publication)
    now = timezone.now()
    if outcome == "published":
        moved = publication_move(
            [publication.pk],
            to=PS.PUBLISHED,
            sources=[PS.UNCONFIRMED],
            external_id=external_id[:500] or publication.external_id,
            url=url[:1000] or publication.url,
            finished_at=now,
            error="",
            error_kind="",
        )
    elif outcome == "failed":
        moved = publication_move(
            [publication.pk],
            to=PS.FAILED,
            sources=[PS.UNCONFIRMED],
            finished_at=now,
            error="Checked by a person: it did not appear on the network.",
            error_kind="resolved",
        )
    elif outcome == "retry":
        moved = publication_move(
            [publication.pk],
            to=PS.SCHEDULED,
            sources=[PS.UNCONFIRMED],
            due_at=now,
            next_attempt_at=now,
            due_override=True,  # sent now by a person, like a retry
            first_attempt_at=None,
            finished_at=None,
            error="",
            error_kind="",
        )
    else:
        raise ValueError(f"unknown outcome {outcome!r}")
    if not moved:
        raise _conflict(publication, "resolved")
    return Publication.objects.get(pk=publication.pk)
