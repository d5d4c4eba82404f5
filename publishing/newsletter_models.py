"""The audience of an email-newsletter account: its subscribers (double
opt-in) and the per-recipient ledger of what was sent. Part of the channels
app's models (`publishing.models` imports and re-exports them); the rules live
in `publishing.newsletter`.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"


class Subscriber(models.Model):
    """One address on the audience of an email-newsletter account.

    Double opt-in: a row starts `pending` and only `confirmed` rows receive
    newsletters (see publishing/newsletter.py). The confirmation token is kept
    only as a SHA-256 hash; the unsubscribe token is kept as is, because every
    newsletter carries it in its one-click link. The address is unique per
    account regardless of case.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="subscribers"
    )
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.CASCADE, related_name="subscribers"
    )
    email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=20,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
    )
    confirm_token_hash = models.CharField(max_length=64, blank=True)
    unsubscribe_token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # When the last confirmation mail was sent: a pending address is not mailed
    # again before NEWSLETTER_RESEND_SECONDS (publishing/newsletter_limits.py).
    last_confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "account",
                name="subscriber_unique_email_per_account",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriberStatus.values),
                name="subscriber_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="subscriber_audience"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class EmailDelivery(models.Model):
    """One newsletter handed to the SMTP server for one subscriber.

    The per-recipient ledger of an email publication: a retried publication
    (after a 4xx, a dropped connection or a dead worker) skips every subscriber
    with a row here, so nobody is mailed twice. Written right after the server
    accepted the message, outside any transaction around the whole send.
    """

    publication = models.ForeignKey(
        "channels.Publication",
        on_delete=models.CASCADE,
        related_name="email_deliveries",
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=255)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["publication", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "subscriber"],
                name="email_delivery_once_per_subscriber",
            ),
        ]

    def __str__(self) -> str:
        return f"newsletter {self.publication_id} to subscriber {self.subscriber_id}"
