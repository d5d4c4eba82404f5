"""Tenancy: people, organizations, workspaces, memberships, invitations, API
keys, and the record of a workspace's policy changes.

An organization (an agency or a company) owns workspaces (one per client or brand).
Everything a marketer makes lives in exactly one workspace, and every request is
scoped to the workspaces its caller may see (see `workspaces.permissions`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    """What a member may do; the matrix lives in `workspaces.permissions`."""

    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    CLIENT = "client", "Client (read and approve)"


class EmailUserManager(UserManager["User"]):
    """People sign in with their email address; the username mirrors it."""

    def _create_user(
        self,
        username: str | None,
        email: str | None,
        password: str | None,
        **extra_fields: Any,
    ) -> User:
        email = self.normalize_email(email or username)
        # UserManager._create_user exists at runtime; django-stubs leaves it out.
        user: User = super()._create_user(  # type: ignore[misc]  # see above
            email, email, password, **extra_fields
        )
        return user

    # The first argument is the email (Django's is a username): hence `override`.
    def create_user(  # type: ignore[override]  # see above
        self, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]  # by email, as create_user
        self, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Machines authenticate with an `ApiKey` instead."""

    email = models.EmailField("email address", unique=True)
    # The workspace the person last worked in: a new session (a sign-in) opens
    # there instead of the first one by name (see workspaces/workspace_choice.py).
    last_workspace = models.ForeignKey(
        "Workspace",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    class Meta:
        app_label = "campaigns"
        ordering = ["email"]

    def save(self, *args: Any, **kwargs: Any) -> None:
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
        "(workspaces.twofactor); set by its owners and admins.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "campaigns"
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
        app_label = "campaigns"
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
        app_label = "campaigns"
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
        app_label = "campaigns"
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
        app_label = "campaigns"
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

    @property
    def throttle_ident(self) -> str:
        """Its request budget (`core.api.common.CallerRateThrottle`): a key's own,
        apart from the people whose primary keys may equal its."""
        return f"key:{self.pk}"


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
        app_label = "campaigns"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.setting}: {self.old_value} -> {self.new_value}"


# Registered with the app here (the app loads this module); the model lives in
# its own module to keep this one readable.
from workspaces.token_models import PersonalAccessToken as PersonalAccessToken  # noqa: E402
