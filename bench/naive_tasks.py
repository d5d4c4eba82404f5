"""The naive design the publishing benchmark compares against: one Celery task per
post, sent when the post is scheduled with `eta` = its time.

Loaded only into the benchmark's naive workers (`celery worker --include
bench.naive_tasks`); nothing in AdLoop imports it. The task does the least a
publish can do (read the row, call the connector, store the id): no claim, no
attempt row, no post lifecycle, so its per-post cost is lower than the outbox's
and the comparison is in its favour.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="bench.naive_publish", acks_late=True, ignore_result=True)
def naive_publish(publication_id: int) -> str:
    from networks import get_connector
    from publishing.delivery import build_request
    from publishing.models import Publication
    from publishing.models import PublicationStatus as PS

    publication = Publication.objects.select_related("account", "post").get(
        pk=publication_id
    )
    connector = get_connector(publication.network)
    result = connector.publish(build_request(publication, connector=connector))
    Publication.objects.filter(pk=publication_id).update(
        status=PS.PUBLISHED,
        external_id=result.external_id,
        finished_at=timezone.now(),
    )
    return "published"
