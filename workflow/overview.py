"""What the dashboard shows: the current workspace's operational state.

A marketer opens the home page to see what goes out next, what waits for their
approval, what failed or needs an account reconnected, and which campaigns are
running. Everything here is read for one workspace only (tenant isolation) in
a fixed number of queries, however many posts, publications or accounts the
workspace has: lists are cut to a few rows and counted in one aggregate each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Post, PostStatus
from connections.models import AccountStatus, ChannelAccount
from core.timezones import zone
from publishing import failures
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from workspaces.models import User, Workspace
from workspaces.permissions import Action, can

# States of a post that has not gone out yet and may still need work.
UPCOMING = (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED)
GOING_OUT = (*UPCOMING, PostStatus.SCHEDULED)
PROBLEM_PUBLICATIONS = (PS.FAILED, PS.UNCONFIRMED)
PROBLEM_ACCOUNTS = (AccountStatus.NEEDS_RECONNECT, AccountStatus.DISABLED)
ROWS = 6
SOON = timedelta(days=7)


@dataclass
class Problem:
    """A failed or unconfirmed publication and what helps it."""

    publication: Publication
    # "retry", "edit", "reconnect" or "resolve" (outcome unknown); None only
    # for a publication that has not failed, which is never listed.
    fix: str | None


@dataclass
class Overview:
    due: list[Post] = field(default_factory=list)
    due_soon: int = 0  # going out in the next seven days
    unready_soon: int = 0  # of those, not scheduled yet (draft, review, approved)
    may_approve: bool = False
    approvals: list[Post] = field(default_factory=list)
    approvals_count: int = 0
    copy_reviews: int = 0  # publications whose edited copy waits for review
    problems: list[Problem] = field(default_factory=list)
    problems_count: int = 0
    accounts: list[ChannelAccount] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    campaigns_count: int = 0

    @property
    def attention(self) -> int:
        """How many things need a person: failures and accounts to fix."""
        return self.problems_count + len(self.accounts)


def workspace_overview(workspace: Workspace, user: User) -> Overview:
    """The dashboard's content for `user` in `workspace` (never another's)."""
    now = timezone.now()
    today = timezone.localdate(now, timezone=zone(workspace.time_zone))
    out = Overview(may_approve=can(user, Action.APPROVE, workspace))
    _posts(out, workspace, now)
    _publications(out, workspace)
    _campaigns(out, workspace, now, today)
    return out


def _posts(out: Overview, workspace: Workspace, now: datetime) -> None:
    """What is due soon, not ready soon, and waiting for approval."""
    posts = Post.objects.filter(workspace=workspace)
    counts = posts.aggregate(
        due_soon=Count(
            "pk",
            filter=Q(
                status__in=GOING_OUT,
                scheduled_at__gte=now,
                scheduled_at__lt=now + SOON,
            ),
        ),
        unready_soon=Count(
            "pk",
            filter=Q(
                status__in=UPCOMING,
                scheduled_at__gte=now,
                scheduled_at__lt=now + SOON,
            ),
        ),
        in_review=Count("pk", filter=Q(status=PostStatus.IN_REVIEW)),
    )
    out.due_soon, out.unready_soon = counts["due_soon"], counts["unready_soon"]
    out.due = list(
        posts.filter(status__in=GOING_OUT, scheduled_at__gte=now)
        .select_related("campaign")
        .prefetch_related("accounts")
        .order_by("scheduled_at", "pk")[:ROWS]
    )

    if out.may_approve:
        out.approvals_count = counts["in_review"]
        out.approvals = list(
            posts.filter(status=PostStatus.IN_REVIEW)
            .select_related("campaign", "submitted_by")
            .order_by("scheduled_at", "pk")[:ROWS]
        )


def _publications(out: Overview, workspace: Workspace) -> None:
    """Publications that failed or need a review, and accounts to fix."""
    publications = Publication.objects.filter(workspace=workspace)
    tally = publications.aggregate(
        problems=Count("pk", filter=Q(status__in=PROBLEM_PUBLICATIONS)),
        copy_reviews=Count("pk", filter=Q(status=PS.NEEDS_REVIEW)),
    )
    out.problems_count = tally["problems"]
    out.copy_reviews = tally["copy_reviews"] if out.may_approve else 0
    out.problems = [
        Problem(p, "resolve" if p.status == PS.UNCONFIRMED else failures.fix_for(p))
        for p in publications.filter(status__in=PROBLEM_PUBLICATIONS)
        .select_related("post", "account")
        .order_by("-updated_at", "-pk")[:ROWS]
    ]
    out.accounts = list(
        ChannelAccount.objects.filter(
            workspace=workspace, status__in=PROBLEM_ACCOUNTS
        ).order_by("name", "pk")
    )


def _campaigns(out: Overview, workspace: Workspace, now: datetime, today: date) -> None:
    """The running campaigns with their upcoming and published counts."""
    running = Campaign.objects.filter(
        workspace=workspace, status=CampaignStatus.ACTIVE, end_date__gte=today
    )
    out.campaigns_count = running.count()
    out.campaigns = list(
        running.annotate(
            upcoming=Count(
                "posts",
                filter=Q(posts__status__in=GOING_OUT, posts__scheduled_at__gte=now),
            ),
            published=Count(
                "posts",
                filter=Q(
                    posts__status__in=(
                        PostStatus.PUBLISHED,
                        PostStatus.PARTLY_PUBLISHED,
                    )
                ),
            ),
            next_at=Min(
                "posts__scheduled_at",
                filter=Q(posts__status__in=GOING_OUT, posts__scheduled_at__gte=now),
            ),
        ).order_by("end_date", "pk")[:ROWS]
    )
