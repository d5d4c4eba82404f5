"""Celery entry points of the content app: ids in, a service call.

Provider errors are handled by the service (the provider already retried the
transient ones; the job row says what failed), so nothing here retries: a
second run of the same job would only find it claimed.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def run_generation(generation_id: int) -> None:
    """Write the variants a `Generation` row asks for (see
    `content.services.generation.run_generation`)."""
    from content import services

    services.run_generation(generation_id)
