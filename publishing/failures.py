"""Why a publication failed, and what a person can do about it: the one place
that reads `Publication.error_kind`.

A retry sends the same copy to the same account again, so it only helps when
the failure was about the moment (a network down past the retry deadline, an
unknown outcome settled as "not there", a missed time). When the copy broke the
network's rules, or the account cannot publish (no credentials, credentials
revoked), a retry fails the same way: the person is offered "Edit" (the copy,
on that channel's tab of the post editor) or "Reconnect" (the account) instead,
and the API's `retry` answers 409 saying why.

`error_kind` values (written by `publishing.delivery` and the dispatcher):

- retryable: "transient" (gave up after the deadline), "ambiguous", "late"
  (missed its time), "resolved" (a person found it was not published),
  "edited" (the copy was changed after an edit-kind failure);
- edit: "invalid" (the connector's own check refused the copy or its images:
  too long, too many images), "permanent" (the network refused the content);
- reconnect: "credentials" (the account has none: planning only), "auth" (the
  network said the credentials are revoked or invalid).

A reconnect-kind failure becomes retryable once its account is connected again
after it failed; an edit-kind one once its copy is edited (`mark_edited`, or the
copy's review when the workspace requires approval).
"""

from __future__ import annotations

from typing import Any, Literal

from connections.models import AccountStatus
from publishing.models import Publication
from publishing.models import PublicationStatus as PS

Fix = Literal["retry", "edit", "reconnect"]

EDIT_KINDS = frozenset({"invalid", "permanent"})
RECONNECT_KINDS = frozenset({"credentials", "auth"})

REASONS: dict[str, str] = {
    "invalid": "the copy or its images break {network}'s rules; edit the copy",
    "permanent": "{network} refused this copy and would refuse it again; edit the copy",
    "credentials": "{account} has no credentials (planning only); connect it",
    "auth": "{network} no longer accepts the login of {account}; reconnect it",
}


def fix_for(publication: Publication) -> Fix | None:
    """What helps a failed publication: "retry", "edit" or "reconnect"; None
    when it has not failed."""
    if publication.status != PS.FAILED:
        return None
    kind = publication.error_kind
    if kind in RECONNECT_KINDS:
        return "retry" if _reconnected_since(publication) else "reconnect"
    if kind in EDIT_KINDS:
        return "edit"
    return "retry"


def not_retryable_reason(publication: Publication) -> str:
    """Why a retry is refused (empty when it may be retried)."""
    reason = _reason(publication)
    return f"Retrying would fail the same way: {reason}." if reason else ""


def _reason(publication: Publication) -> str:
    if fix_for(publication) in (None, "retry"):
        return ""
    return REASONS.get(publication.error_kind, "edit the copy").format(
        network=publication.get_network_display(), account=publication.account.name
    )


def post_retry_blocked(post: Any) -> str:
    """Why retrying a failed post as a whole cannot help: none of its failed
    publications can be fixed by a retry (registered with
    `campaigns.lifecycle.register_retry_check`; empty: it can)."""
    failed = list(
        Publication.objects.filter(post_id=post.pk, status=PS.FAILED).select_related(
            "account"
        )
    )
    reasons = [_reason(p) for p in failed]
    if not failed or not all(reasons):
        return ""
    return "Retrying would fail the same way: " + "; ".join(reasons) + "."


def _reconnected_since(publication: Publication) -> bool:
    account = publication.account
    return bool(
        account.credentials
        and account.status == AccountStatus.CONNECTED
        and account.connected_at is not None
        and publication.finished_at is not None
        and account.connected_at > publication.finished_at
    )


def mark_edited(publication_ids: list[int]) -> int:
    """The copy of these failed publications changed: an edit-kind failure is
    retryable now (the workspace does not review copy). Not a status move."""
    return Publication.objects.filter(
        pk__in=publication_ids, status=PS.FAILED, error_kind__in=EDIT_KINDS
    ).update(
        error_kind="edited",
        error="The copy was edited after it failed; retry to send the new copy.",
    )
