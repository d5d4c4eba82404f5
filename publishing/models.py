"""Publishing state: publications (the outbox), each try at publishing and the
scheduler's heartbeat. The accounts they go to are `connections.models`. The
newsletter audience (subscribers, deliveries) is `publishing.newsletter_models`,
re-exported here."""

from __future__ import annotations

from django.db import models

from connections.models import ChannelAccount, Network

# The newsletter audience lives in its own module; importing it here registers
# its models with the app and keeps `publishing.models.Subscriber` working.
from publishing.newsletter_models import EmailDelivery as EmailDelivery
from publishing.newsletter_models import Subscriber as Subscriber
from publishing.newsletter_models import SubscriberStatus as SubscriberStatus


class SchedulerHeartbeat(models.Model):
    """The last tick of one scheduler process (one row per process name).

    A scheduler that stopped ticking is how posts get stuck "queued" while the
    dashboard looks healthy; /healthz turns a stale row into a visible alert.
    """

    name = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_tick_at = models.DateTimeField()
    ticks = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_tick_at"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_tick_at:%Y-%m-%d %H:%M:%S}"


class PublicationStatus(models.TextChoices):
    """Where one publication stands; `publishing.delivery.publication_move` is
    the only code that changes it (see ARCHITECTURE.md, "the outbox")."""

    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    UNCONFIRMED = "unconfirmed", "Outcome unknown"
    CANCELED = "canceled", "Canceled"
    # Its copy was edited after the post's approval (the post is partly
    # published or failed): the dispatcher never claims it until a reviewer
    # approves the new copy (`publishing.publication_review`).
    NEEDS_REVIEW = "needs_review", "Copy in review"


class Publication(models.Model):
    """One post going out on one channel account: the outbox row.

    The dispatcher claims rows that are `scheduled` and due, marks them
    `queued` and enqueues `publish`; the task claims `queued → publishing`
    and records the outcome. `attempts` counts claims and doubles as the
    fencing token: a worker may only finish the attempt it claimed.
    `next_attempt_at` is when the row may next be claimed (the due time for
    the first try, later the backoff of a transient error). The idempotency
    key is the same for every try, so a network that deduplicates never shows
    the post twice.
    """

    workspace = models.ForeignKey(
        "campaigns.Workspace", on_delete=models.CASCADE, related_name="publications"
    )
    post = models.ForeignKey(
        "campaigns.Post", on_delete=models.CASCADE, related_name="publications"
    )
    account = models.ForeignKey(
        ChannelAccount, on_delete=models.CASCADE, related_name="publications"
    )
    variant = models.ForeignKey(
        "content.Variant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="publications",
        help_text="The chosen copy when the publication was (re)scheduled.",
    )
    network = models.CharField(max_length=20, choices=Network.choices)
    status = models.CharField(
        max_length=20,
        choices=PublicationStatus.choices,
        default=PublicationStatus.SCHEDULED,
    )
    due_at = models.DateTimeField(help_text="When it should appear (UTC).")
    # False: a first try follows the post's time (the dispatcher re-aligns it
    # when the post moves). True: this publication has its own time (published
    # now, retried, released after a review) and moving the post leaves it.
    due_override = models.BooleanField(
        default=False, help_text="Its own time, not the post's."
    )
    next_attempt_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="The start of the attempt in flight."
    )
    # The claim's lease (`publishing.lease`): the worker renews it while its call
    # is in flight; past it, the sweep takes the worker for dead.
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="Its worker's claim holds until then."
    )
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    error_kind = models.CharField(max_length=20, blank=True)
    error = models.TextField(
        blank=True, help_text="Said so that a marketer understands."
    )
    # Who edited the copy that sent it to `needs_review` (four eyes: not the
    # one who approves it).
    review_requested_by = models.ForeignKey(
        "campaigns.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account"], name="publication_one_per_post_account"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PublicationStatus.values),
                name="publication_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="publication_due"),
            models.Index(fields=["status", "queued_at"], name="publication_queued"),
            models.Index(fields=["status", "started_at"], name="publication_started"),
            models.Index(fields=["status", "lease_until"], name="publication_lease"),
            models.Index(fields=["due_at"], name="publication_due_at"),
        ]

    def __str__(self) -> str:
        return f"publication {self.pk} ({self.network}, {self.status})"


class PublishAttempt(models.Model):
    """One try at publishing a publication: who ran it, how long, what came back."""

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="attempt_rows"
    )
    number = models.PositiveIntegerField(help_text="The publication's claim count.")
    task_id = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20,
        blank=True,
        help_text="published, transient, permanent, ambiguous or swept.",
    )
    error = models.TextField(blank=True)
    external_id = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["publication", "number", "pk"]
        indexes = [
            models.Index(fields=["publication", "number"], name="publish_attempt_pub")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of publication {self.publication_id}"
