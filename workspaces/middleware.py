"""Attach the signed-in person's current workspace to each UI request, and
show its times in the workspace's zone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from workspaces.workspace_choice import choose_workspace, remember_workspace

SESSION_KEY = "workspace_id"


def workspace_zone(workspace: object | None) -> ZoneInfo | None:
    """The workspace's zone, or None (no workspace, or a name the zone database
    lacks: then times stay in UTC, still named, rather than the page failing)."""
    name = getattr(workspace, "time_zone", "") or ""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class CurrentWorkspaceMiddleware:
    """`request.workspace`: see `workspaces.workspace_choice` for which one (the
    session's choice, else the last used, else the one with recent activity).

    The choice is re-checked against what the person may see on every request,
    so losing access to a workspace never leaves the UI pointing at it.

    While the request runs, Django's current time zone is the workspace's:
    every `|date`, `|when` and form field renders stored UTC instants as the
    workspace's wall-clock time, one place for every page (the API answers in
    UTC with offsets and is left alone).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # An attribute HttpRequest does not declare; views read it typed, as
        # `workspaces.views.common.SignedInRequest.workspace`.
        request.workspace = None  # type: ignore[attr-defined]  # see above
        workspace = None
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
            request.workspace = workspace  # type: ignore[attr-defined]  # as above
        zone = workspace_zone(workspace)
        if zone is None:
            return self.get_response(request)
        # `override` restores the previous zone afterwards, so a worker thread
        # never carries one workspace's zone into the next request.
        with timezone.override(zone):
            response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse):
            # A streamed body renders after this returns (the variant stream).
            content = response.streaming_content
            if not isinstance(content, AsyncIterator):  # WSGI: a plain iterator
                response.streaming_content = _in_zone(content, zone)
        return response


def _in_zone(chunks: Iterable[Any], zone: ZoneInfo) -> Iterator[Any]:
    """Each chunk produced with `zone` current, and the zone restored between."""
    iterator = iter(chunks)
    while True:
        with timezone.override(zone):
            chunk = next(iterator, _END)
        if chunk is _END:
            return
        yield chunk


_END = object()
