from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from workspaces.permissions import allowed_actions
from workspaces.selectors import switcher_workspaces


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The current workspace, the switcher's list and what the user may do here."""
    user = getattr(request, "user", None)
    current = getattr(request, "workspace", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_workspace": current,
        "switcher_workspaces": switcher_workspaces(user),
        "can": {a.value: True for a in allowed_actions(user, current)}
        if current
        else {},
    }
