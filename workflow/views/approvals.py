"""The approval queue: posts in review, approved, rejected or discussed inline.

Everyone who sees the workspace sees the queue; the buttons are what
`lifecycle.allowed_actions` grants the person (so editors see none, and the
person who submitted a post is told it waits for someone else).

Each card shows what goes out on every channel account of the post (the
copy as sent, images, link, time) and what the checks found
(`workflow.review`). Its Approve button sends the card's
fingerprint: if the copy changed meanwhile, nothing is approved and the fresh
card is shown with "review it again".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from campaigns import lifecycle, selectors, services
from campaigns.models import Post
from campaigns.views.post_forms import ReasonForm
from core.errors import ConflictError
from workflow import review
from workflow.views.posts import transition, workspace_post
from workspaces.models import Role, User, Workspace
from workspaces.permissions import Action, can, role_in_workspace
from workspaces.views.common import (
    WorkspaceRequest,
    is_htmx,
    render_panel,
    require,
    workspace_view,
)

PAGE = "campaigns/approvals/page.html"
FORBIDDEN = "You are not a member of this workspace."
QUEUE_ACTIONS = ("approve", "reject")


def _page(
    request: WorkspaceRequest,
    workspace: Workspace,
    *,
    row_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user
    rows: list[dict[str, Any]] = []
    may_override = role_in_workspace(user, workspace) in (Role.OWNER, Role.ADMIN)
    for post in review.review_posts(selectors.approval_queue(workspace)):
        allowed = lifecycle.allowed_actions(post, user)
        rows.append(
            {
                "post": post,
                "card": review.review_card(post),
                "actions": [a for a in QUEUE_ACTIONS if a in allowed],
                "own": post.submitted_by_id == user.pk,
                "error": (row_errors or {}).get(post.pk),
            }
        )
    shown = {row["post"].pk for row in rows}
    for pk, message in (row_errors or {}).items():
        if pk not in shown:  # it left the queue (someone else decided first)
            messages.error(request, message)
    context: dict[str, Any] = {
        "section": "approvals",
        "rows": rows,
        "copy_reviews": review.copy_reviews(workspace),
        "may_approve": can(user, Action.APPROVE, workspace),
        "may_override": may_override,
        "may_edit": can(user, Action.EDIT_CONTENT, workspace),
        "may_comment": can(user, Action.COMMENT, workspace),
    }
    return render_panel(request, PAGE, context, status=status)


def _done(
    request: WorkspaceRequest, workspace: Workspace, message: str
) -> HttpResponse:
    messages.success(request, message)
    return _page(request, workspace) if is_htmx(request) else redirect("approvals")


@workspace_view
def approvals(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.VIEW, FORBIDDEN)
    return _page(request, workspace)


@require_POST
@workspace_view
def decide(request: WorkspaceRequest, pk: int, name: str) -> HttpResponse:
    workspace = require(request, Action.APPROVE, "Your role does not approve posts.")
    post = workspace_post(request, pk)
    if name not in QUEUE_ACTIONS:
        name = "__unknown__"  # answered 404 by `transition`
    if name == "approve":
        error = _approve(request, post)
    else:
        error = transition(request, post, name)
    if error:
        return _page(request, workspace, row_errors={post.pk: error}, status=409)
    verb = "approved" if name == "approve" else "sent back with your reason"
    return _done(request, workspace, f"“{post.topic}” is {verb}.")


def _approve(request: WorkspaceRequest, post: Post) -> str | None:
    """Approve what the card showed (its fingerprint); the error, or None.

    The form always carries the fingerprint; a request without one did not
    come from a card the person saw, so it is refused like a stale one.
    """
    fingerprint = request.POST.get("fingerprint", "").strip()
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        review.approve_reviewed(
            post=post,
            by=request.user,
            fingerprint=fingerprint,
            reason=reason,
            require_fingerprint=True,
        )
    except ConflictError as error:
        return str(error)
    return None


@require_POST
@workspace_view
def comment(request: WorkspaceRequest, pk: int) -> HttpResponse:
    workspace = require(request, Action.COMMENT, FORBIDDEN)
    post = workspace_post(request, pk)
    try:
        services.posts.comment_create(
            post=post,
            by=request.user,
            body=request.POST.get("body", ""),
        )
    except ValidationError as error:
        message = " ".join(error.messages)
        return _page(request, workspace, row_errors={post.pk: message}, status=400)
    return _done(request, workspace, "Comment added.")
