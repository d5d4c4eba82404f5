"""Celery entry points of the workflow: ids in, a service call."""

from __future__ import annotations

from celery import shared_task

from workflow import planner


# The name is the one queued messages carry from before the task moved here;
# `campaigns.services.plans` queues it by that name (campaigns sits below).
@shared_task(name="campaigns.tasks.run_plan_job")
def run_plan_job(job_id: int) -> None:
    """Make the plan a `Job` row asks for (see `workflow.planner.run_plan_job`)."""
    planner.run_plan_job(job_id)
