"""Celery entry points of tenancy: ids in, a service call, transient errors named."""

from __future__ import annotations

import smtplib

from celery import shared_task

from workspaces.services.invitations import invitation_email_send


# The name is the one queued messages carry from before the task moved here.
@shared_task(
    name="campaigns.tasks.send_invitation_email",
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
    return invitation_email_send(invitation_id=invitation_id, token=token)
