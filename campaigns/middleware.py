"""Attach the signed-in person's current workspace to each UI request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from campaigns.workspace_choice import choose_workspace, remember_workspace

SESSION_KEY = "workspace_id"


class CurrentWorkspaceMiddleware:
    """`request.workspace`: see `campaigns.workspace_choice` for which one (the
    session's choice, else the last used, else the one with recent activity).

    The choice is re-checked against what the person may see on every request,
    so losing access to a workspace never leaves the UI pointing at it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith("/api/")
        ):
            chosen = request.session.get(SESSION_KEY)
            workspace = choose_workspace(user, chosen)
            if workspace is not None:
                if chosen != workspace.pk:
                    request.session[SESSION_KEY] = workspace.pk
                remember_workspace(user, workspace)
            request.workspace = workspace  # type: ignore[attr-defined]
        return self.get_response(request)
