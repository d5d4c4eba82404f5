"""Tenancy: people, organizations, workspaces, memberships, invitations, API keys.

An organization (an agency or a company) owns workspaces (one per client or brand).
Everything a marketer makes lives in exactly one workspace, and every request is
scoped to the workspaces its caller may see (see `campaigns.permissions`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    """What a member may do; the matrix lives in `campaigns.permissions`."""

    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    CLIENT = "client", "Client (read and approve)"


class EmailUserManager(UserManager["User"]):
    """People sign in with their email address; the username mirrors it."""

    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def]
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def,override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def,override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Machines authenticate with an `ApiKey` instead."""

    email = models.EmailField("email address", unique=True)
    # The workspace the person last worked in: a new session (a sign-in) opens
    # there instead of the first one by name (see campaigns/workspace_choice.py).
    last_workspace = models.ForeignKey(
        "Workspace",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    class Meta:
        ordering = ["email"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The username column stays unique and meaningful for Django's admin.
        self.email = self.email.strip().lower()
        self.username = self.email
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Organization(models.Model):
    """An agency or company: the billing and ownership boundary for workspaces."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Every member must sign in with a one-time code "
        "(campaigns.twofactor); set by its owners and admins.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Workspace(models.Model):
    """One client or brand of an organization; the tenant every object belongs to."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="workspaces"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    approval_required = models.BooleanField(
        default=True, help_text="Posts need a reviewer's approval before scheduling."
    )
    calendar_feed_version = models.PositiveIntegerField(
        default=1,
        help_text="Part of the signed iCalendar feed URL; raising it revokes the URL.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role in one workspace, or in every workspace of an organization.

    `workspace` empty means organization-wide: the role applies to each of the
    organization's workspaces, present and future. A person's effective role in a
    workspace is the stronger of the two.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "workspace_id", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "workspace"],
                condition=Q(workspace__isnull=False),
                name="membership_one_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=Q(workspace__isnull=True),
                name="membership_one_org_wide",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        scope = self.workspace or f"{self.organization} (all workspaces)"
        return f"{self.user} — {self.role} in {scope}"


class Invitation(models.Model):
    """An emailed link that makes its accepter a member with a given role.

    Only the token's hash is stored; the link itself is sent once by email.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.role}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiKey(models.Model):
    """A machine credential for the REST API, bound to an organization or a workspace.

    The secret is shown once at creation; only its SHA-256 is stored (the secret
    is 256 random bits, so a fast hash is safe). `prefix` is public and lets a
    person tell keys apart and the server find the row in one indexed lookup.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="api_keys",
        null=True,
        blank=True,
        help_text="Empty: the key reaches every workspace of the organization.",
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=ApiKeyScope.choices)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=ApiKeyScope.values), name="api_key_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # DRF and Django treat request.user as a user-like object; an API key is the
    # principal of its own requests, so it answers the same questions.
    is_authenticated = True
    is_anonymous = False


# --- The editorial side: brands, campaigns, posts, jobs ---------------------------


class AIDisclosure(models.TextChoices):
    """Whether copy and images a model made are labelled as such when published."""

    NEVER = "never", "Never label"
    ALWAYS = "always", "Always label"
    PER_CHANNEL = "per_channel", "Label on the chosen networks"


class BrandProfile(models.Model):
    """How a brand sounds and looks; the copy and image generators read it.

    Lists (tone, languages, words, hashtags, colours) are JSON arrays of strings:
    they are read whole, never queried by element.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="brands"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    voice = models.TextField(
        blank=True, help_text="How the brand speaks, in a few sentences."
    )
    tone = models.JSONField(
        default=list, blank=True, help_text="e.g. friendly, expert, playful"
    )
    audience = models.TextField(blank=True)
    languages = models.JSONField(
        default=list, blank=True, help_text="BCP 47 codes: en, de-CH"
    )
    do_words = models.JSONField(default=list, blank=True)
    dont_words = models.JSONField(default=list, blank=True)
    required_hashtags = models.JSONField(default=list, blank=True)
    required_mentions = models.JSONField(default=list, blank=True)
    default_cta = models.CharField("default call to action", max_length=200, blank=True)
    colours = models.JSONField(default=list, blank=True, help_text="#rrggbb values")
    logo = models.ForeignKey(
        "content.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ai_disclosure = models.CharField(
        max_length=20, choices=AIDisclosure.choices, default=AIDisclosure.PER_CHANNEL
    )
    ai_disclosure_networks = models.JSONField(
        default=list,
        blank=True,
        help_text="Networks that label AI content (per_channel).",
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
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="brand_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(ai_disclosure__in=AIDisclosure.values),
                name="brand_ai_disclosure_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    ENGAGEMENT = "engagement", "Engagement"
    TRAFFIC = "traffic", "Traffic"
    CONVERSIONS = "conversions", "Conversions"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"


class Campaign(models.Model):
    """A brief with dates, channels, cadence and pillars; the planner adds posts."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="campaigns"
    )
    brand = models.ForeignKey(
        BrandProfile, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    objective = models.CharField(
        max_length=20, choices=Objective.choices, default=Objective.AWARENESS
    )
    brief = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    time_zone = models.CharField(
        max_length=64, help_text="IANA name, e.g. Europe/Berlin"
    )
    channels = models.ManyToManyField(
        "channels.ChannelAccount", through="CampaignChannel", related_name="campaigns"
    )
    blackout_dates = models.JSONField(default=list, blank=True, help_text="ISO dates")
    kpi_targets = models.JSONField(
        default=dict,
        blank=True,
        help_text='e.g. {"clicks": 500, "engagement_rate": 0.04}',
    )
    min_gap_minutes = models.PositiveIntegerField(
        default=180,
        help_text="Least time between two posts of this campaign on one account.",
    )
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    utm_campaign = models.SlugField(max_length=100, blank=True)
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
        ordering = ["-start_date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="campaign_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CampaignStatus.values),
                name="campaign_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(objective__in=Objective.values),
                name="campaign_objective_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignChannel(models.Model):
    """A channel account of a campaign and how often the campaign posts there."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="cadences"
    )
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.CASCADE, related_name="+"
    )
    posts_per_week = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["account__network", "account__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "account"], name="campaign_channel_unique"
            ),
            models.CheckConstraint(
                condition=Q(posts_per_week__gte=1) & Q(posts_per_week__lte=70),
                name="campaign_channel_cadence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} x{self.posts_per_week}/week"


class Pillar(models.Model):
    """A content theme of a campaign; weights set the share of posts it gets."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="pillars"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-weight", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"], name="pillar_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1), name="pillar_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


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
    PLANNER = "planner", "Planned offline (rules, no AI)"
    IMPORT = "import", "Imported from CSV"
    API = "api", "Created through the API"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


JOB_FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class Job(models.Model):
    """A long piece of work run by a worker (a plan, later copy and images).

    The row, not the broker, is the truth about it: the UI and the API poll it
    for progress, and `input` records what it was asked so its output can be
    traced back.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(max_length=40)
    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100")
    message = models.CharField(max_length=300, blank=True)
    input = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="job_progress_range"
            ),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


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
        blank=True, help_text="Draft copy; variants arrive with the copy issue."
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


class WorkspaceSettingChange(models.Model):
    """One change of a workspace's policy (`approval_required`): who, when, from,
    to. Approval is what keeps a machine from publishing unreviewed copy, so
    switching it is a signed-in owner's or admin's act and stays on record."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="setting_changes"
    )
    setting = models.CharField(max_length=40)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept when the person is deleted, so the record still names them.
    actor_label = models.CharField(max_length=254, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.setting}: {self.old_value} -> {self.new_value}"


# Registered with the app from here; defined apart to keep this module short.
from campaigns.token_models import PersonalAccessToken  # noqa: E402, F401
