"""Reads of publications for the API, the post page and the calendar.

Which actions a person may take on a publication is decided here once, so the
API's `allowed_actions`, its 409 answers and the buttons on the post page agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from publishing import failures
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from publishing.publication_review import may_approve
from workspaces.permissions import Action, can, visible_workspaces

# Action name → the statuses it starts from (see `publishing.delivery`); all
# of them an editor's, but `approve` (the copy, `publishing.publication_review`).
ACTION_SOURCES: dict[str, frozenset[str]] = {
    "publish-now": frozenset({PS.SCHEDULED}),
    "retry": frozenset({PS.FAILED}),
    "cancel": frozenset({PS.SCHEDULED, PS.QUEUED, PS.NEEDS_REVIEW}),
    "resolve": frozenset({PS.UNCONFIRMED}),
    "approve": frozenset({PS.NEEDS_REVIEW}),
}


def publications_visible(principal: Any) -> QuerySet[Publication]:
    return Publication.objects.filter(
        workspace__in=visible_workspaces(principal)
    ).select_related("account")


def publication_allowed_actions(
    publication: Publication, principal: Any, *, may_edit: bool | None = None
) -> list[str]:
    """The actions `principal` may take on `publication` now: editors and up
    publish now, retry (only where a retry can fix it), cancel and resolve;
    those who approve posts approve its copy after a review."""
    if may_edit is None:
        may_edit = can(principal, Action.EDIT_CONTENT, publication.workspace)
    return [
        name
        for name, sources in ACTION_SOURCES.items()
        if publication.status in sources
        and (
            may_approve(publication, principal)
            if name == "approve"
            else may_edit and _possible(name, publication)
        )
    ]


def _possible(name: str, publication: Publication) -> bool:
    """A retry only where it can fix the failure (`publishing.failures`); publish
    now only on an account that can publish."""
    if name == "retry":
        return failures.fix_for(publication) == "retry"
    if name == "publish-now":
        return bool(publication.account.credentials)
    return True


def publication_statuses_for_posts(
    post_ids: Iterable[int], *, workspace_id: int
) -> dict[int, list[dict[str, Any]]]:
    """{post id: [{account, network, status, label, url}, ...]} in one query,
    for calendar cards; only posts of `workspace_id` (the person's current one)."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Publication.objects.filter(
            post_id__in=list(post_ids), workspace_id=workspace_id
        )
        .order_by("post_id", "account__name", "pk")
        .values_list("post_id", "account__name", "network", "status", "url")
    )
    for post_id, account, network, status, url in rows:
        out[post_id].append(
            {
                "account": account,
                "network": network,
                "status": status,
                "label": PS(status).label,
                "url": url,
            }
        )
    return dict(out)


def waiting_counts(account_ids: Iterable[int]) -> dict[int, int]:
    """Publications waiting (`scheduled`) on each account: shown beside an
    account that is disabled or needs reconnecting, since they go out only when
    it is connected again."""
    ids = list(account_ids)
    if not ids:
        return {}
    rows = (
        Publication.objects.filter(account_id__in=ids, status=PS.SCHEDULED)
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )
    return dict(rows)
