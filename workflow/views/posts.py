"""The post editor: fields, lifecycle buttons, comment thread, status history.

Everyone who sees the workspace may open a post and comment; only people with
EDIT_CONTENT get a form (reviewers and clients read it), and the lifecycle
buttons are exactly `lifecycle.allowed_actions` for the person. Writes are
scoped to the current workspace: a post of another one answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns import lifecycle, services
from campaigns.models import Post, PostOrigin, PostStatus
from campaigns.views.post_forms import NewPostForm, PostForm, ReasonForm
from content.views.panel import panel_context
from content.views.post_images import images_context
from core.errors import ConflictError
from core.timezones import to_local
from workflow import review
from workflow.plan_explain import explain
from workspaces.middleware import SESSION_KEY
from workspaces.models import User
from workspaces.permissions import Action, can, visible_workspaces
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    require,
    safe_next,
    workspace_view,
)

PAGE = "campaigns/posts/page.html"
NEW_PAGE = "campaigns/posts/new.html"
EDIT_FORBIDDEN = "Only editors, admins and owners change posts."
PLANNER_NOTE = "Planned by the offline planner (rules, no AI)"


def _planner_note(post: Post) -> str:
    """The badge on a planned post: who proposed its topic and angle."""
    reason = post.plan_reason if isinstance(post.plan_reason, dict) else {}
    if reason.get("topic_source") != "llm":
        return PLANNER_NOTE
    model = reason.get("topic_model") or {}
    name = ", ".join(str(v) for v in (model.get("provider"), model.get("model")) if v)
    return f"Planned by AdLoop; topic and angle proposed by the LLM ({name or 'AI'})"


def workspace_post(request: WorkspaceRequest, pk: int) -> Post:
    """A post of the current workspace, or 404 (never another tenant's)."""
    return get_object_or_404(
        Post.objects.filter(workspace=request.workspace).select_related(
            "campaign", "workspace", "pillar", "image", "submitted_by"
        ),
        pk=pk,
    )


def transition(request: WorkspaceRequest, post: Post, action: str) -> str | None:
    """Make a person's lifecycle move; the error message, or None when done.

    PermissionDenied propagates (403); an unknown or system action is a 404.
    """
    if action not in lifecycle.PERSON_ACTIONS:
        raise Http404
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if action == "approve":  # what the page showed, when it says what that was
            review.approve_reviewed(
                post=post,
                by=request.user,
                fingerprint=request.POST.get("fingerprint", "").strip() or None,
                reason=reason,
            )
        else:
            lifecycle.transition(post, action, by=request.user, reason=reason)
    except ConflictError as error:
        return str(error)
    return None


def _plan_reasons(post: Post) -> list[tuple[str, str]]:
    """Said for a marketer, for the post's current time (workflow.plan_explain)."""
    return explain(post)


def _local_when(post: Post) -> str:
    if post.scheduled_at is None:
        return ""
    local = to_local(post.scheduled_at, post.campaign.time_zone)
    return f"{local:%a %-d %b %Y, %H:%M} {local.tzname()} ({post.campaign.time_zone})"


def _editor(
    request: WorkspaceRequest,
    post: Post,
    *,
    form: PostForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user
    may_edit = can(user, Action.EDIT_CONTENT, post.workspace)
    editable = may_edit and post.status not in lifecycle.LOCKED_STATES
    actions = [lifecycle.MOVES[a] for a in lifecycle.allowed_actions(post, user)]
    if any(move.action == "approve" for move in actions):
        fingerprint = review.review_fingerprint(post)
    else:
        fingerprint = ""
    context: dict[str, Any] = {
        "review_fingerprint": fingerprint,
        "section": "calendar",
        "post": post,
        "form": (form or PostForm(post=post, may_add=_may_add(user, post)))
        if editable
        else None,
        "may_edit": may_edit,
        "locked": may_edit and not editable,
        "actions": actions,
        "error": error,
        "waiting": post.status == PostStatus.IN_REVIEW
        and post.submitted_by_id == user.pk,
        "may_comment": can(user, Action.COMMENT, post.workspace),
        "comments": post.comments.select_related("author"),
        "history": post.history.select_related("actor", "actor_key"),
        "accounts": post.accounts.all(),
        "planner": post.origin == PostOrigin.PLANNER,
        "planner_note": _planner_note(post),
        "plan_reasons": _plan_reasons(post),
        "local_when": _local_when(post),
        "calendar_url": reverse("calendar")
        + (
            f"?date={to_local(post.scheduled_at, post.campaign.time_zone):%Y-%m-%d}"
            if post.scheduled_at
            else ""
        ),
    }
    context.update(panel_context(request, post))  # the copy variants panel
    context.update(images_context(request, post))  # the Images panel
    return render(request, PAGE, context, status=status)


@workspace_view
def editor(request: WorkspaceRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        # A link from a feed or an email may name a post of another workspace
        # the person sees: switch to it rather than answer 404.
        other = _other_workspace(request, pk)
        if other is not None:
            request.session[SESSION_KEY] = other
            return redirect("post-editor", pk=pk)
    post = workspace_post(request, pk)
    if request.method != "POST":
        return _editor(request, post)

    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    form = PostForm(request.POST, post=post, may_add=_may_add(request.user, post))
    if not form.is_valid():
        return _editor(request, post, form=form, status=400)
    try:
        when = form.when(post.campaign.time_zone)
    except ValidationError:
        return _editor(request, post, form=form, status=400)
    data = _form_data(form, when)
    before = post.status
    try:
        services.posts.post_update(post=post, by=request.user, data=data)
    except ValidationError as error:
        apply_validation_error(form, _on_form_fields(error))
        return _editor(request, workspace_post(request, pk), form=form, status=400)
    except ConflictError as error:
        form.add_error(None, str(error))
        return _editor(request, workspace_post(request, pk), form=form, status=409)
    post.refresh_from_db(fields=["status"])
    note = ""
    if post.status != before:
        note = f" It is now {post.get_status_display().lower()}."
    added = data.get("add_to_campaign") or []
    if added:
        names = ", ".join(f"{a.get_network_display()} · {a.name}" for a in added)
        note += f" Added to the campaign's channels: {names}."
    messages.success(request, f"Saved.{note}")
    return redirect("post-editor", pk=pk)


def _other_workspace(request: WorkspaceRequest, pk: int) -> int | None:
    """The id of another workspace the person sees that holds post `pk`."""
    return (
        Post.objects.filter(
            pk=pk,
            workspace__in=visible_workspaces(request.user),
        )
        .exclude(workspace=request.workspace)
        .values_list("workspace_id", flat=True)
        .first()
    )


def _form_data(form: PostForm, when: datetime | None) -> dict[str, Any]:
    """What `post_update` gets from a valid edit form."""
    data = {
        name: form.cleaned_data[name]
        for name in (
            "topic",
            "angle",
            "body",
            "link",
            "pillar",
            "accounts",
            "notes",
        )
    }
    # Blog tags and categories: only where the form offers them (see PostForm).
    data.update(
        {
            name: form.cleaned_data[name]
            for name in ("tags", "categories")
            if name in form.fields
        }
    )
    data["scheduled_at"] = when
    if "add_to_campaign" in form.cleaned_data:
        data["add_to_campaign"] = form.cleaned_data["add_to_campaign"]
    return data


def _may_add(user: User, post: Post) -> bool:
    return services.posts.may_add_channels(user, post.campaign)


def _on_form_fields(error: ValidationError) -> ValidationError:
    """The service names the time `scheduled_at`; the form calls it `time`."""
    if not hasattr(error, "error_dict"):
        return error
    fields = {
        ("date" if name == "scheduled_at" else name): messages_
        for name, messages_ in error.message_dict.items()
    }
    return ValidationError(fields)


@workspace_view
def new(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    if request.method != "POST":
        day = request.GET.get("date") or None
        initial = {
            "date": day,
            "time": request.GET.get("time") or ("09:00" if day else None),
            "campaign": request.GET.get("campaign") or None,
        }
        form = NewPostForm(initial=initial, workspace=workspace)
        return _new_page(request, form)
    form = NewPostForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return _new_page(request, form, status=400)
    campaign = form.cleaned_data["campaign"]
    try:
        when = form.when(campaign.time_zone)
    except ValidationError:
        return _new_page(request, form, status=400)
    try:
        post = services.posts.post_create(
            campaign=campaign,
            by=request.user,
            data={
                "topic": form.cleaned_data["topic"],
                "angle": form.cleaned_data["angle"],
                "scheduled_at": when,
            },
        )
    except ValidationError as error:
        apply_validation_error(form, _on_form_fields(error))
        return _new_page(request, form, status=400)
    messages.success(request, "The post is on the calendar as a draft.")
    return redirect("post-editor", pk=post.pk)


def _new_page(
    request: WorkspaceRequest, form: NewPostForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        NEW_PAGE,
        {
            "section": "calendar",
            "form": form,
            "has_campaigns": form.campaigns.exists(),
        },
        status=status,
    )


@require_POST
@workspace_view
def action(request: WorkspaceRequest, pk: int, name: str) -> HttpResponse:
    post = workspace_post(request, pk)
    error = transition(request, post, name)
    if error:
        return _editor(request, post, error=error, status=409)
    messages.success(request, f"{lifecycle.MOVES[name].label}: done.")
    return redirect(safe_next(request, reverse("post-editor", args=[pk])))


@require_POST
@workspace_view
def comment(request: WorkspaceRequest, pk: int) -> HttpResponse:
    post = workspace_post(request, pk)
    try:
        services.posts.comment_create(
            post=post,
            by=request.user,
            body=request.POST.get("body", ""),
        )
    except ValidationError as error:
        return _editor(request, post, error=" ".join(error.messages), status=400)
    messages.success(request, "Comment added.")
    return redirect(reverse("post-editor", args=[pk]) + "#comments")
