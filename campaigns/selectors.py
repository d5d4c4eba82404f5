"""Reads that need more than a filter: each returns a queryset scoped to a caller."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from campaigns.models import Post
from workspaces.models import ApiKey, Invitation, Membership, Workspace
from workspaces.permissions import visible_workspaces

if TYPE_CHECKING:  # `Principal` exists only for type checkers.
    from workspaces.permissions import Principal


def workspace_members(workspace: Workspace) -> QuerySet[Membership]:
    """Everyone with a role in the workspace: direct and organization-wide."""
    from django.db.models import Q

    return (
        Membership.objects.filter(
            Q(workspace=workspace)
            | Q(workspace__isnull=True, organization_id=workspace.organization_id)
        )
        .select_related("user", "workspace", "organization")
        .order_by("user__email")
    )


def workspace_pending_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    from django.utils import timezone

    return Invitation.objects.filter(
        workspace=workspace,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def workspace_api_keys(workspace: Workspace) -> QuerySet[ApiKey]:
    """Keys that reach the workspace: its own and its organization's."""
    from django.db.models import Q

    return ApiKey.objects.filter(
        Q(workspace=workspace)
        | Q(workspace__isnull=True, organization_id=workspace.organization_id)
    ).select_related("created_by", "workspace")


def switcher_workspaces(principal: Principal) -> QuerySet[Workspace]:
    return visible_workspaces(principal).order_by("organization__name", "name")


# --- The calendar (posts by day, the approval queue, the iCalendar feed) ---------


def workspace_posts(workspace: Workspace) -> QuerySet[Post]:
    """Posts of one workspace with what a card or a row shows, in constant queries.

    Cards read the campaign (its time zone), the pillar, the image and the
    channel accounts; one JOIN and one prefetch serve any number of posts.
    """
    return (
        Post.objects.filter(workspace=workspace)
        .select_related("workspace", "campaign", "pillar", "image", "submitted_by")
        .prefetch_related("accounts")
    )


def calendar_posts(
    workspace: Workspace,
    *,
    start: datetime,
    end: datetime,
    account: int | None = None,
    status: str | None = None,
    campaign: int | None = None,
    pillar: int | None = None,
) -> QuerySet[Post]:
    """Scheduled-in-time posts with `start <= scheduled_at < end` (UTC), filtered.

    Callers widen the bounds by a day on each side and bucket each post by its
    campaign's local date: campaigns of one workspace may live in other zones.
    """
    qs = workspace_posts(workspace).filter(
        scheduled_at__gte=start, scheduled_at__lt=end
    )
    if account is not None:
        qs = qs.filter(accounts__id=account).distinct()
    if status:
        qs = qs.filter(status=status)
    if campaign is not None:
        qs = qs.filter(campaign_id=campaign)
    if pillar is not None:
        qs = qs.filter(pillar_id=pillar)
    return qs.order_by("scheduled_at", "pk")


def approval_queue(workspace: Workspace) -> QuerySet[Post]:
    """Posts waiting for a review, oldest time first, with their threads."""
    from django.db.models import Prefetch

    from campaigns.models import PostComment, PostStatus

    return (
        workspace_posts(workspace)
        .filter(status=PostStatus.IN_REVIEW)
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=PostComment.objects.select_related("author"),
            )
        )
        .order_by("scheduled_at", "pk")
    )


def feed_posts(workspace: Workspace) -> QuerySet[Post]:
    """What the iCalendar feed lists: posts that are going out or went out."""
    from campaigns.models import PostStatus

    return (
        Post.objects.filter(
            workspace=workspace,
            scheduled_at__isnull=False,
            status__in=[
                PostStatus.APPROVED,
                PostStatus.SCHEDULED,
                PostStatus.PUBLISHING,
                PostStatus.PUBLISHED,
                PostStatus.PARTLY_PUBLISHED,
            ],
        )
        .select_related("campaign")
        .prefetch_related("accounts")
        .order_by("scheduled_at", "pk")
    )


# --- The REST API's posts (campaigns/api/posts.py) -------------------------------

if TYPE_CHECKING:
    from campaigns.models import PostComment, PostStatusChange


def posts_visible(principal: Principal) -> QuerySet[Post]:
    """Posts of the caller's workspaces, with what the API's post body reads.

    The workspace (approval rule for `allowed_actions`) and the campaign (its
    time zone for `scheduled_local`) are joined, the accounts prefetched: a page
    of posts costs the same few queries whatever its length.
    """
    return (
        Post.objects.filter(workspace__in=visible_workspaces(principal))
        .select_related("workspace", "campaign")
        .prefetch_related("accounts")
        .order_by("scheduled_at", "pk")
    )


def post_comments(post: Post) -> QuerySet[PostComment]:
    """A post's review thread, oldest first, with its authors."""
    return post.comments.select_related("author", "author_key").order_by(
        "created_at", "pk"
    )


def post_history(post: Post) -> QuerySet[PostStatusChange]:
    """Every status change of a post, oldest first, with who made it."""
    return post.history.select_related("actor", "actor_key").order_by("at", "pk")


def find_workspace(value: Any, among: QuerySet[Workspace]) -> Workspace | None:
    """The workspace of `among` that `value` names (an id or a slug), or None."""
    if isinstance(value, bool):  # JSON true is not the id 1
        return None
    if isinstance(value, int):
        return among.filter(pk=value).first()
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    # isdigit() alone accepts "²" and other digits int() refuses (a 500).
    if value.isascii() and value.isdigit():
        found = among.filter(pk=int(value)).first()
        if found is not None:
            return found
    return among.filter(slug=value).first()
