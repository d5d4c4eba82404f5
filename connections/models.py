"""Channel accounts: where posts go (a network and its encrypted credentials),
the OAuth flows in flight and AdLoop's app registrations on Mastodon instances.

These models keep the app label `channels` (their tables and migration history
were made under it, before this package held them); `publishing.models` holds
the publications that point at them.
"""

from __future__ import annotations

from django.db import models

from core.fields import EncryptedJSONField


class Network(models.TextChoices):
    """The networks AdLoop publishes to (one connector each, see the channels issue)."""

    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    X = "x", "X"
    LINKEDIN = "linkedin", "LinkedIn"
    FACEBOOK = "facebook", "Facebook Page"
    INSTAGRAM = "instagram", "Instagram"
    EMAIL = "email", "Email newsletter"
    WEBHOOK = "webhook", "Webhook"
    WORDPRESS = "wordpress", "WordPress"


class AccountStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"
    DISABLED = "disabled", "Disabled"


class ChannelAccount(models.Model):
    """One account on one network that a workspace publishes to.

    Campaigns target accounts and the planner spaces posts per account. The
    credentials are encrypted (`core.fields`); an account made without them
    (a planning-only one) is planned for but never receives a publication.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="channel_accounts"
    )
    network = models.CharField(max_length=20, choices=Network.choices)
    name = models.CharField("display name", max_length=200)
    handle = models.CharField(max_length=255, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=20, choices=AccountStatus.choices, default=AccountStatus.CONNECTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Connection (the accounts-and-credentials part of the channels issue).
    # Tokens, passwords and secrets: a JSON object encrypted at rest, never shown
    # (see core/fields.py). Empty for a planning-only account.
    credentials = EncryptedJSONField(null=True, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    token_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the access token stops working."
    )
    last_error = models.TextField(
        blank=True, help_text="The last connection problem, said for a person."
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    refresh_lease_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A token refresh in flight until then: one process at a time "
        "(a rotated refresh token used twice reads as revoked).",
    )
    # Limits this account sets itself, where its network lets it (a Mastodon
    # instance's max_characters, max_media_attachments, image_size_limit), as
    # {"max_length", "max_images", "max_image_bytes"}; read by "Test
    # connection". Empty: the network's limits (`networks.limits`).
    limits = models.JSONField(
        default=dict,
        blank=True,
        help_text="This account's own limits (e.g. a Mastodon instance's); "
        "empty: the network's.",
    )

    class Meta:
        app_label = "channels"
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "name"],
                name="channel_account_unique_name",
            ),
            models.CheckConstraint(
                condition=models.Q(network__in=Network.values),
                name="channel_account_network_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_network_display()})"

    @property
    def planning_only(self) -> bool:
        """No credentials: campaigns plan for it, it never gets a publication.
        The one test of that (empty credentials count as none)."""
        return not self.credentials


class OAuthState(models.Model):
    """One OAuth authorization in flight: who started it, for which workspace
    and network (and account, when reconnecting), with its PKCE verifier.

    The `state` sent to the network is a signed, expiring reference to this row;
    the callback consumes the row exactly once (a conditional delete).
    """

    nonce = models.CharField(max_length=64, unique=True)
    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        "campaigns.User", on_delete=models.CASCADE, related_name="+"
    )
    network = models.CharField(max_length=20, choices=Network.choices)
    account = models.ForeignKey(
        ChannelAccount,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    instance_url = models.URLField(blank=True, help_text="Mastodon: the instance.")
    pkce = EncryptedJSONField(help_text="The PKCE code verifier.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "channels"

    def __str__(self) -> str:
        return f"OAuth {self.network} for workspace {self.workspace_id}"


class MastodonApp(models.Model):
    """AdLoop's app registration on one Mastodon instance (`POST /api/v1/apps`),
    made on the first connect to that instance and reused after."""

    instance_url = models.URLField(unique=True)
    redirect_uri = models.URLField(max_length=1000)
    scopes = models.CharField(max_length=255)
    client = EncryptedJSONField(help_text="client_id and client_secret.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "channels"

    def __str__(self) -> str:
        return f"Mastodon app on {self.instance_url}"
