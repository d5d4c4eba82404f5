"""Posts: one idea on the calendar, its comments, and the history of its
status (who moved it, when, from what to what)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaigns.models.campaign import Campaign, Pillar
from campaigns.models.jobs import Job
from workspaces.models import ApiKey, Workspace


class PostStatus(models.TextChoices):
    """The lifecycle; the allowed moves live in `campaigns.lifecycle` only."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    # Derived from its publications: some published, others failed, canceled,
    # waiting for their own time or for a review of their copy.
    PARTLY_PUBLISHED = "partly_published", "Partly published"
    FAILED = "failed", "Failed"
    UNCONFIRMED = "unconfirmed", "Outcome unknown"
    CANCELED = "canceled", "Canceled"


class PostOrigin(models.TextChoices):
    """Who or what made the post: traceability of machine-made artefacts."""

    MANUAL = "manual", "Written by a person"
    PLANNER = "planner", "Planned by the planner"
    IMPORT = "import", "Imported from CSV"
    API = "api", "Created through the API"


class Post(models.Model):
    """One idea on the calendar for one campaign, on one or more channel accounts.

    `scheduled_at` is UTC; the calendar shows it in the campaign's time zone.
    `status` changes only through `campaigns.lifecycle.transition`, which records
    a `PostStatusChange` and emits `post_status_changed`.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="posts"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="posts"
    )
    pillar = models.ForeignKey(
        Pillar, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    topic = models.CharField(max_length=300)
    angle = models.CharField(max_length=300, blank=True)
    body = models.TextField(
        blank=True,
        help_text="The post's own copy; a network with a chosen variant gets "
        "that instead.",
    )
    link = models.URLField(max_length=1000, blank=True)
    # A blog's taxonomy (WordPress): names, resolved to term ids when sent.
    # None: the defaults (`campaigns.terms`); a list, even empty: exactly that.
    tags = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="Blog tags; null: the hashtags of the copy.",
    )
    categories = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="Blog categories; null: the post's pillar.",
    )
    image = models.ForeignKey(
        "content.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    accounts = models.ManyToManyField(
        "channels.ChannelAccount", blank=True, related_name="posts"
    )
    status = models.CharField(
        max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField("internal notes", blank=True)
    origin = models.CharField(
        max_length=20, choices=PostOrigin.choices, default=PostOrigin.MANUAL
    )
    plan_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    plan_reason = models.JSONField(
        default=dict,
        blank=True,
        help_text="Why the planner chose this slot and pillar.",
    )
    touched_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last edit by a person; re-planning keeps such posts.",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [
            models.Index(fields=["workspace", "scheduled_at"], name="post_ws_when"),
            models.Index(fields=["workspace", "status"], name="post_ws_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PostStatus.values), name="post_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=PostOrigin.values), name="post_origin_valid"
            ),
            # Nothing goes on the schedule without a time.
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "publishing", "published"])
                | Q(scheduled_at__isnull=False),
                name="post_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.topic


class PostComment(models.Model):
    """A remark in a post's review thread."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class PostStatusChange(models.Model):
    """One move of a post through its lifecycle: who, when, from, to, why."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        max_length=20, choices=PostStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=PostStatus.choices)
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_token = models.ForeignKey(
        "PersonalAccessToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The personal access token `actor` used, when through the API.",
    )
    actor_label = models.CharField(
        max_length=100,
        blank=True,
        help_text="The system part that moved it, when no person did.",
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["post", "at"], name="post_history_when")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status} ({self.action})"
