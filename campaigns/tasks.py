"""Celery entry points of the campaigns app: ids in, a service call, transient
errors named."""

from __future__ import annotations

import smtplib

from celery import shared_task

from campaigns import services


@shared_task(
    autoretry_for=(
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPConnectError,
        ConnectionError,
        TimeoutError,
    ),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    return services.invitation_email_send(invitation_id=invitation_id, token=token)


@shared_task
def run_plan_job(job_id: int) -> None:
    """Make the plan a `Job` row asks for (see `workflow.planner.run_plan_job`)."""
    from workflow import planner

    planner.run_plan_job(job_id)
