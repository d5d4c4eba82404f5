"""The audit log (`AuditEvent`) and the outbox of domain events (`OutboxEvent`).

Both are written only through `events.services`, inside the writer's own
transaction. Models reference other apps' models by string only (the tenancy
models keep the app label "campaigns").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuditEvent(models.Model):
    """Who did what to which object, when: one row per recorded act.

    Append-only: rows are created, never changed (`save` refuses an update and
    the admin is read-only). The actor's foreign keys may go (a person or key
    deleted); `actor_label` keeps whom the row names. `data` holds what the
    reader needs to understand the act, never a secret (`services.record`
    scrubs it).
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="audit_events"
    )
    organization = models.ForeignKey(
        "campaigns.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_key = models.ForeignKey(
        "campaigns.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The personal access token's name when the person acted through one.
    actor_token_name = models.CharField(max_length=100, blank=True)
    # The person's email, the key's name or the system's ("dispatcher"): what
    # the row says even after the person or key is gone.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The API's list: one workspace, newest first, maybe one action.
            models.Index(
                fields=["workspace", "-created_at", "-id"], name="audit_ws_newest"
            ),
            models.Index(
                fields=["workspace", "action", "-created_at"], name="audit_ws_action"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action=""), name="audit_action_not_empty"
            ),
            # A key acts as itself, never through a person's token.
            models.CheckConstraint(
                condition=Q(actor_key__isnull=True) | Q(actor_token_name=""),
                name="audit_key_has_no_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events are append-only; they are never changed.")
        super().save(*args, **kwargs)


class OutboxEvent(models.Model):
    """A domain event waiting to leave (the outgoing webhooks' sender claims it).

    Written in the transaction of the change it reports, so an event exists
    exactly when the change committed; `published_at` is set once it left.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="outbox_events"
    )
    type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The sender's claim: the oldest unpublished ones.
            models.Index(
                fields=["created_at", "id"],
                name="outbox_unpublished",
                condition=Q(published_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(type=""), name="outbox_type_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({'sent' if self.published_at else 'pending'})"
