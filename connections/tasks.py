"""Celery entry points for channel accounts: ids in, a service call, nothing else.

The task keeps the name it had when it lived with publishing
("channels.notify_account_needs_reconnect"), so messages already queued under
that name still find it after a deploy.
"""

from __future__ import annotations

from celery import shared_task

from connections import reconnect


@shared_task(name="channels.notify_account_needs_reconnect", ignore_result=True)
def notify_account_needs_reconnect(account_id: int) -> int:
    """Email the workspace's owners and admins (sent by a worker, not the
    request or the refresh job that found the revoked grant)."""
    return reconnect.account_reconnect_notice_send(account_id=account_id)
