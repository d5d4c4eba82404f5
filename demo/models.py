"""What arrived at the demo inbox: one row per webhook request received."""

from __future__ import annotations

from django.db import models


class DemoDelivery(models.Model):
    """One signed webhook request the demo inbox received for one account.

    Kept per workspace (the account's), so the inbox page shows a person only
    what their own workspace's channels sent.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        "channels.ChannelAccount",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    verified = models.BooleanField(
        help_text="The HMAC signature matched the account's secret, recently signed."
    )
    check_note = models.CharField(
        max_length=300, help_text="Why it is (not) verified, said for a person."
    )
    body = models.TextField(help_text="The request body as received (UTF-8).")

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-received_at"])]

    def __str__(self) -> str:
        return f"demo delivery {self.pk} ({self.event or 'no event'})"
