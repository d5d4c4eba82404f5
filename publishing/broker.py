"""What the broker still holds for publishing: how the sweep tells a queued row
whose message was lost (a restarted or flushed broker, a worker killed after it
took the message) from one whose message is still on its way.

`publish_backlog()` counts the messages of the publishing queue that may still
reach a worker: those waiting in the queue (kombu's passive `queue_declare`,
which Redis, AMQP and the filesystem transport all answer), plus, on Redis,
those a worker took within the last `recent_seconds` and has not acknowledged
(kombu's `unacked_index`). An unacknowledged message older than that belongs to
a batch that has claimed its rows by now (they are `publishing`, under a lease)
or to a worker that died (its rows stay `queued` with no message: the sweep
sends them again). On AMQP a dead consumer's messages go back to the queue at
once, so the queue length counts them.

None when the broker does not answer: the sweep then waits for it (the hard
`PUBLISH_QUEUED_TIMEOUT_SECONDS` stays the backstop).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import current_app
from django.conf import settings

logger = logging.getLogger("adloop.dispatcher")

PUBLISH_TASK = "channels.publish_batch"


def publish_queue_name() -> str:
    """The queue `publish_batch` is routed to (CELERY_TASK_ROUTES, else the default)."""
    route = current_app.amqp.router.route({}, PUBLISH_TASK)
    queue = route.get("queue")
    return str(getattr(queue, "name", queue) or current_app.conf.task_default_queue)


def publish_backlog(*, recent_seconds: float) -> int | None:
    """Messages of the publishing queue that may still reach a worker; None
    when the broker cannot be asked."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0  # no broker: every task ran when it was sent
    name = publish_queue_name()
    try:
        with current_app.connection_for_write(
            settings.CELERY_BROKER_URL, connect_timeout=2
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.2)
            channel = conn.channel()
            try:
                waiting = _queue_length(channel, name, conn.channel_errors)
                taken = _recently_taken(channel, recent_seconds)
            finally:
                channel.close()
    except Exception as exc:  # a broker down or restarting: ask again next sweep
        logger.warning("sweep: the broker did not answer (%s)", exc)
        return None
    return waiting + taken


def _queue_length(
    channel: Any, name: str, errors: tuple[type[BaseException], ...]
) -> int:
    # Any: kombu's channel is each transport's own class, and kombu is untyped.
    declare = channel.queue_declare
    try:
        return int(declare(queue=name, passive=True).message_count)
    except errors:  # Redis deletes an empty list: no such queue, no message
        return 0


def _recently_taken(channel: object, recent_seconds: float) -> int:
    """Redis only: messages delivered within `recent_seconds`, not acknowledged."""
    index = getattr(channel, "unacked_index_key", None)
    client = getattr(channel, "client", None)
    if not index or client is None:
        return 0
    return int(client.zcount(index, time.time() - recent_seconds, "+inf"))
