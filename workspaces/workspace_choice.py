"""Which workspace the UI opens for a person (the "current workspace").

In order: the one chosen in this session (the switcher, an invitation, a link
to a post), if still visible; else the one the person last worked in (kept on
the user, so a new sign-in returns there); else the visible workspace with the
most recent activity (the latest post edit), so a person who belongs to an
empty workspace and a busy one lands in the busy one; ties by name.
"""

from __future__ import annotations

from django.db.models import F, Max

from workspaces.models import User, Workspace
from workspaces.permissions import visible_workspaces


def choose_workspace(user: User, chosen_id: object = None) -> Workspace | None:
    """The workspace to show `user` now; `chosen_id` is the session's choice."""
    visible = visible_workspaces(user)
    for candidate in (chosen_id, user.last_workspace_id):
        if isinstance(candidate, int):
            workspace = visible.filter(pk=candidate).first()
            if workspace is not None:
                return workspace
    return (
        visible.annotate(activity=Max("posts__updated_at"))
        .order_by(
            F("activity").desc(nulls_last=True),
            "organization__name",
            "name",
            "pk",
        )
        .first()
    )


def remember_workspace(user: User, workspace: Workspace) -> None:
    """Keep `workspace` as the one `user` returns to (one UPDATE, only on change)."""
    if user.last_workspace_id != workspace.pk:
        User.objects.filter(pk=user.pk).update(last_workspace=workspace)
        user.last_workspace_id = workspace.pk
