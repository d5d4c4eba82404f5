"""Reads of posts that need more than a filter: each returns a queryset scoped
to a workspace or a caller (tenancy's own are `workspaces.selectors`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from campaigns.models import Post
from workspaces.models import Workspace
from workspaces.permissions import visible_workspaces

if TYPE_CHECKING:  # `Principal` exists only for type checkers.
    from workspaces.permissions import Principal


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
