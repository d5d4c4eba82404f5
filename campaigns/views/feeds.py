"""The secret iCalendar feed URL: the feed itself (no session) and its reset.

The token in the URL is the credential (see `campaigns.ical`): calendar apps
fetch it without cookies, so this view is deliberately outside the login and
the current-workspace machinery, and answers 404 for any token that is not
the workspace's current one.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from campaigns import ical, selectors
from workspaces.permissions import Action
from workspaces.views.common import (
    WorkspaceRequest,
    require,
    safe_next,
    workspace_view,
)

RESET_FORBIDDEN = "Only owners and admins can reset the calendar feed link."


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    workspace = ical.workspace_for_token(token)
    if workspace is None:
        raise Http404
    text = ical.render(
        workspace,
        selectors.feed_posts(workspace),
        post_url=lambda post: request.build_absolute_uri(
            reverse("post-editor", args=[post.pk])
        ),
        uid_domain=request.get_host().split(":")[0] or "adloop",
        now=timezone.now(),
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="adloop.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@workspace_view
def reset(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.MANAGE_WORKSPACE, RESET_FORBIDDEN)
    ical.feed_reset(workspace=workspace)
    messages.success(
        request,
        "The calendar feed has a new link; the old one stopped working. "
        "Subscribe again with the new link.",
    )
    return redirect(safe_next(request, reverse("calendar")))
