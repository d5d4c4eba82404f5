"""Jobs: long work a worker does, with progress the UI and the API can poll."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from campaigns.models import Job, JobStatus
from workspaces.models import ApiKey, User, Workspace

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger(__name__)


def job_create(
    *, workspace: Workspace, kind: str, by: Principal | None, input: dict[str, Any]
) -> Job:
    """The row first; the caller enqueues its task with `transaction.on_commit`."""
    return Job.objects.create(
        workspace=workspace,
        kind=kind,
        input=input,
        created_by=by if isinstance(by, User) else None,
        created_by_key=by if isinstance(by, ApiKey) else None,
    )


def job_start(job: Job) -> bool:
    """Claim a queued job; False when another worker has it or it is done."""
    claimed = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), message="Started"
    )
    job.refresh_from_db()
    return bool(claimed)


def job_progress(job: Job, *, done: int, total: int, message: str = "") -> None:
    """Record progress outside any transaction so pollers see it at once."""
    percent = 100 if total <= 0 else min(99, int(done * 100 / total))
    job.progress, job.message = percent, message[:300]
    # Only while it runs: a canceled job keeps its "Canceled" message.
    Job.objects.filter(
        pk=job.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
    ).update(progress=percent, message=job.message)


def job_succeed(job: Job, *, result: dict[str, Any], message: str = "Done") -> None:
    job.status, job.progress, job.result = JobStatus.SUCCEEDED, 100, result
    job.message, job.finished_at = message[:300], timezone.now()
    job.save(update_fields=["status", "progress", "result", "message", "finished_at"])


def job_fail(job: Job, *, error: str) -> None:
    """A failure a person can read; the traceback goes to the log, not the row."""
    job.status, job.error, job.finished_at = JobStatus.FAILED, error, timezone.now()
    job.message = "Failed"
    job.save(update_fields=["status", "error", "finished_at", "message"])


def job_cancel(job: Job, *, message: str = "Canceled") -> bool:
    """Mark a queued or running job canceled; False when it had already ended.

    Only kinds whose worker checks `job_is_running` between steps stop early;
    the caller decides which kinds may be canceled.
    """
    canceled = Job.objects.filter(
        pk=job.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
    ).update(
        status=JobStatus.CANCELED, message=message[:300], finished_at=timezone.now()
    )
    job.refresh_from_db()
    return bool(canceled)


def job_is_running(job: Job) -> bool:
    """Whether the worker should go on (not canceled, not taken over)."""
    return (
        Job.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        == JobStatus.RUNNING
    )


def enqueue(task: Any, job: Job) -> None:
    """Send `task(job.pk)` once the row that describes it is committed."""
    transaction.on_commit(lambda: task.delay(job.pk))
