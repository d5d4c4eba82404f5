"""Celery entry points for publishing: ids in, a service call, nothing else.

`acks_late` (with `CELERY_TASK_REJECT_ON_WORKER_LOST`): a worker killed mid-task
leaves its message unacknowledged instead of lost. Either way the dispatcher's
sweep re-drives the row; the task's conditional claim makes a second delivery
harmless. Retries are not Celery's: a transient error puts the row back to
`scheduled` with a backoff time, so no message waits in the broker for an hour.
"""

from __future__ import annotations

from celery import Task, shared_task

from publishing import delivery


@shared_task(  # type: ignore[untyped-decorator]  # Celery ships no types
    name="channels.publish_batch", bind=True, acks_late=True, ignore_result=True
)
def publish_batch(self: Task, publication_ids: list[int]) -> dict[int, str]:
    """What the dispatcher sends: up to PUBLISH_TASK_BATCH queued publications."""
    return delivery.publication_publish_many(
        publication_ids, task_id=self.request.id or ""
    )
