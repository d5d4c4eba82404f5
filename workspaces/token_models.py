"""Personal access tokens: a person's own credential for the REST API.

Unlike an `ApiKey` (a machine credential of a workspace or organization, which
never approves), a personal access token *is* its person: requests carry the
`User` as `request.user`, so every role, four-eyes rule and audit entry of that
person applies. It lives in its own module to keep `campaigns.models` small;
`workspaces.models` imports it so Django registers it with the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PersonalAccessToken(models.Model):
    """A secret bound to one person; shown once, only its SHA-256 is stored.

    `prefix` is public: it tells tokens apart in lists and finds the row in one
    indexed lookup. Revoking keeps the row, so the history that names the token
    ("approved by Ann via token 'CI'") keeps its name.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="personal_access_tokens",
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: valid until revoked."
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "campaigns"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


def used_token(user: object) -> PersonalAccessToken | None:
    """The token this request's person authenticated with (None: the web UI or
    a session), so the history can say "via token 'CI'"."""
    return getattr(user, "_adloop_access_token", None)


def attach_token(user: object, token: PersonalAccessToken) -> None:
    """Mark the request's user object as acting through `token` (a fresh object
    per request, so the mark cannot outlive the request)."""
    # A mark on the object itself; no model declares the attribute.
    user._adloop_access_token = token  # type: ignore[attr-defined]  # see above
