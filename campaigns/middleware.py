"""Attach the signed-in person's current workspace to each UI request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from campaigns.permissions import visible_workspaces

SESSION_KEY = "workspace_id"


class CurrentWorkspaceMiddleware:
    """`request.workspace`: the one chosen in the switcher, if still visible.

    Falls back to the first visible workspace, so losing access to a workspace
    never leaves the UI pointing at it.
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
            visible = visible_workspaces(user)
            chosen = request.session.get(SESSION_KEY)
            workspace = visible.filter(pk=chosen).first() if chosen else None
            if workspace is None:
                workspace = visible.order_by("organization__name", "name").first()
                if workspace is not None:
                    request.session[SESSION_KEY] = workspace.pk
            request.workspace = workspace  # type: ignore[attr-defined]
        return self.get_response(request)
