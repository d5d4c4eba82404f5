"""The database behind `networks.base.ConnectorStore`: connectors
never touch the ORM, so what they keep between calls (a Bluesky session, an
Instagram container id, the newsletter's per-subscriber ledger) is written
here, by the callers that hand this store in (the publishing service's
`build_request`). The session is the account's: `connections.connector_store`
writes it, and "Test connection" uses that part alone."""

from __future__ import annotations

from django.utils import timezone

from connections.connector_store import account_session_save
from networks.base import Recipient
from publishing.models import (
    EmailDelivery,
    Publication,
    PublicationStatus,
    Subscriber,
    SubscriberStatus,
)


class OrmConnectorStore:
    """Stateless: one instance serves every thread (`connector_store`)."""

    def save_session(
        self, account_id: int, session: dict[str, str], *, app_password: str
    ) -> None:
        account_session_save(account_id, session, app_password=app_password)

    def remember_external_id(self, publication_id: int, external_id: str) -> None:
        """Only while the row is `publishing` (it is then this worker's)."""
        Publication.objects.filter(
            pk=publication_id, status=PublicationStatus.PUBLISHING
        ).update(external_id=external_id)

    def remembered_external_id(self, publication_id: int) -> str:
        return (
            Publication.objects.filter(pk=publication_id)
            .values_list("external_id", flat=True)
            .first()
        ) or ""

    def newsletter_audience(
        self, publication_id: int, account_id: int
    ) -> tuple[int, list[Recipient]]:
        sent = set(
            EmailDelivery.objects.filter(publication_id=publication_id).values_list(
                "subscriber_id", flat=True
            )
        )
        pending = [
            Recipient(id=s.pk, email=s.email, unsubscribe_token=s.unsubscribe_token)
            for s in Subscriber.objects.filter(
                account_id=account_id, status=SubscriberStatus.CONFIRMED
            ).order_by("pk")
            if s.pk not in sent
        ]
        return len(sent), pending

    def newsletter_delivered(
        self, publication_id: int, recipient_id: int, message_id: str
    ) -> None:
        EmailDelivery.objects.get_or_create(
            publication_id=publication_id,
            subscriber_id=recipient_id,
            defaults={"message_id": message_id, "sent_at": timezone.now()},
        )

    def newsletter_bounced(self, recipient_id: int) -> None:
        Subscriber.objects.filter(pk=recipient_id).update(
            status=SubscriberStatus.BOUNCED
        )


connector_store = OrmConnectorStore()
