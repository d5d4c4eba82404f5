"""The scheduler's heartbeat, which /healthz reads, and a publication's
actions by name (the API and the post page both offer them).

Claiming due publications lives in `publishing.dispatcher`, publishing them in
`publishing.delivery`; both in this style: keyword-only functions, atomic writes.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from publishing.models import Publication, SchedulerHeartbeat

if TYPE_CHECKING:
    from publishing.delivery.actions import Outcome


def scheduler_default_name() -> str:
    """`hostname-pid`: unique per running process, readable in /healthz."""
    return f"{socket.gethostname()}-{os.getpid()}"[:100]


@transaction.atomic
def scheduler_heartbeat_record(
    *,
    name: str,
    started_at: datetime,
    hostname: str | None = None,
    pid: int | None = None,
    now: datetime | None = None,
) -> SchedulerHeartbeat:
    """Record one tick of the scheduler called `name` (insert or update its row).

    The count goes up with an `F()` expression so that two processes wrongly
    sharing a name still count every tick instead of overwriting each other.
    `started_at` is the process's start: a restart under the same name shows up
    as a new start time with a continuing tick count.
    """
    now = now or timezone.now()
    hostname = socket.gethostname() if hostname is None else hostname
    pid = os.getpid() if pid is None else pid
    fields = {
        "hostname": hostname[:255],
        "pid": pid,
        "started_at": started_at,
        "last_tick_at": now,
    }
    updated = SchedulerHeartbeat.objects.filter(name=name).update(
        ticks=F("ticks") + 1, **fields
    )
    if not updated:
        _, created = SchedulerHeartbeat.objects.get_or_create(
            name=name, defaults={**fields, "ticks": 1}
        )
        if not created:  # another process inserted it between our two statements
            SchedulerHeartbeat.objects.filter(name=name).update(
                ticks=F("ticks") + 1, **fields
            )
    return SchedulerHeartbeat.objects.get(name=name)


def publication_act(
    *,
    name: str,
    publication: Publication,
    by: Any,
    outcome: str = "",
    url: str = "",
    external_id: str = "",
) -> None:
    """Run the action `name` ("publish-now", "retry", "cancel", "approve",
    "resolve") on `publication`, as `by`. For "resolve", `outcome` is the
    person's answer: "published", "not_published" (recorded as failed) or
    "retry". Raises what the service raises (`ConflictError`, PermissionDenied)."""
    # Imported here: publishing.delivery is the worker's heavy side and imports
    # much of the app; the heartbeat above must not pull it in.
    from publishing import delivery, publication_review

    if name == "publish-now":
        delivery.publish_now(publication, by=by)
    elif name == "retry":
        delivery.publication_retry(publication, by=by)
    elif name == "cancel":
        delivery.publication_cancel(publication, by=by)
    elif name == "approve":
        publication_review.publication_approve(publication, by=by)
    elif name == "resolve":
        delivery.publication_resolve(
            publication,
            outcome=_resolved_as(outcome),
            by=by,
            external_id=external_id,
            url=url,
        )
    else:
        raise ValueError(f"no publication action {name!r}")


# A person's answer to "is it on the network?" as `publication_resolve` takes it.
_RESOLVED_AS: dict[str, Outcome] = {
    "published": "published",
    "not_published": "failed",
    "failed": "failed",
    "retry": "retry",
}


def _resolved_as(answer: str) -> Outcome:
    # Each caller checks its input first; anything else is a programming error.
    if answer not in _RESOLVED_AS:
        raise ValueError(f"unknown outcome {answer!r}")
    return _RESOLVED_AS[answer]
