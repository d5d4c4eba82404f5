"""The scheduler's heartbeat, which /healthz reads.

Claiming due publications lives in `channels.dispatcher`, publishing them in
`channels.publishing`; both in this style: keyword-only functions, atomic writes.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.models import SchedulerHeartbeat


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
