"""Asking for a plan: a job row now, the planner in a worker after the commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from celery import current_app

from campaigns.models import Campaign, Job, JobStatus
from campaigns.services.brands import require
from campaigns.services.jobs import enqueue, job_create
from core.errors import ConflictError
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

PLAN_JOB = "plan"
# The planner's task (workflow.tasks, above this app), looked up by its name.
PLAN_TASK = "campaigns.tasks.run_plan_job"


def plan_request(*, campaign: Campaign, by: Principal) -> Job:
    """Queue a (re-)plan of `campaign`; one at a time per campaign.

    Re-planning keeps every post a person touched or moved past draft (see
    `workflow.planner`).
    """
    require(by, Action.EDIT_CONTENT, campaign.workspace)
    if not campaign.cadences.exists():
        raise ConflictError(
            "Add at least one channel with a cadence before planning.",
            code="not_ready",
        )
    running = Job.objects.filter(
        workspace=campaign.workspace,
        kind=PLAN_JOB,
        input__campaign_id=campaign.pk,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    ).first()
    if running is not None:
        raise ConflictError(
            "A plan for this campaign is already being made.",
            code="job_running",
            job_id=running.pk,
        )
    job = job_create(
        workspace=campaign.workspace,
        kind=PLAN_JOB,
        by=by,
        input={"campaign_id": campaign.pk},
    )
    enqueue(current_app.tasks[PLAN_TASK], job)
    return job
