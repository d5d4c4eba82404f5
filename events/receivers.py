"""Audit rows for writes made below this app.

`workspaces` sits under `events` and may not import it, so its records are
heard here instead: Django's `post_save` runs inside the saving transaction,
so the audit row commits or rolls back with the record it mirrors.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from events import services
from events.actions import WORKSPACE_APPROVAL_POLICY_CHANGED
from workspaces.models import WorkspaceSettingChange


def setting_changed(
    sender: type[WorkspaceSettingChange],
    instance: WorkspaceSettingChange,
    created: bool,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    """`workspaces.services.tenancy.workspace_update` switched the approval
    policy: the same change in the workspace's audit log."""
    if not created or raw or instance.setting != "approval_required":
        return
    person = instance.actor
    actor = services.actor_of(person)
    if person is None:
        actor = services.Actor(label=instance.actor_label)
    services.record(
        workspace=instance.workspace,
        action=WORKSPACE_APPROVAL_POLICY_CHANGED,
        actor=actor,
        target=instance.workspace,
        data={
            "setting": instance.setting,
            "from": instance.old_value,
            "to": instance.new_value,
        },
    )


def connect() -> None:
    post_save.connect(
        setting_changed,
        sender=WorkspaceSettingChange,
        dispatch_uid="events.audit.workspace_setting_changed",
    )
