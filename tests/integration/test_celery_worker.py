"""Tasks through a real worker: broker, worker process, database and SMTP, all real."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import transaction

from tests.factories import WorkspaceFactory, member
from tests.realservices import CeleryWorker, SmtpServer
from workspaces.models import Invitation, Role
from workspaces.services.invitations import invitation_by_token, invitation_create

pytestmark = pytest.mark.integration


def test_invitation_is_mailed_by_a_real_worker_after_commit(
    transactional_db: None, celery_worker: CeleryWorker, smtp_server: SmtpServer
) -> None:
    workspace = WorkspaceFactory(name="Harbour Bakery")
    inviter = member(workspace, Role.OWNER)
    recipient = "new.editor@example.test"

    with transaction.atomic():
        invitation_create(
            organization=workspace.organization,
            workspace=workspace,
            email=recipient,
            role=Role.EDITOR,
            invited_by=inviter,
        )

    mail = smtp_server.mailbox.wait_for(lambda m: recipient in m.rcpt_tos, timeout=30)
    celery_worker.assert_running()
    assert mail is not None, "no invitation email within 30 s"
    assert mail.message["To"] == recipient
    assert mail.message["Subject"] == "You are invited to Harbour Bakery on AdLoop"
    match = re.search(r"/invitations/([A-Za-z0-9_-]+)/", mail.body)
    assert match, mail.body
    token_hash = hashlib.sha256(match.group(1).encode()).hexdigest()
    invitation = Invitation.objects.get(email=recipient)
    assert invitation.token_hash == token_hash
    assert invitation_by_token(match.group(1)) == invitation
