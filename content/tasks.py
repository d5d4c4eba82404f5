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


@shared_task(acks_late=True, name="content.tasks.generate_images")
def generate_images(job_id: int) -> None:
    """Make the images an `image_generation` job asks for (see
    `content.services.image_generation.run_image_generation`). Routed to the
    `images` queue (`CELERY_TASK_ROUTES`: `content.tasks.generate_image*`)."""
    from content.services.image_generation import run_image_generation

    run_image_generation(job_id)


@shared_task(acks_late=True, name="content.tasks.render_asset")
def render_asset(asset_id: int) -> None:
    """Make an uploaded asset's thumbnail and renditions (see
    `content.services.asset_renditions.render_asset`): the upload request only
    stores the original. Routed to the `images` queue (`CELERY_TASK_ROUTES`).
    Redelivery is harmless: a second run finds the asset ready."""
    from content.services.asset_renditions import render_asset as render

    render(asset_id)
