"""Operational endpoints (included at the site root)."""

from django.urls import path

from channels import newsletter_views
from channels.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Public newsletter pages (channels/newsletter_views.py).
    path(
        "newsletter/<int:account_id>/subscribe/",
        newsletter_views.subscribe,
        name="newsletter-subscribe",
    ),
    path(
        "newsletter/confirm/<str:token>/",
        newsletter_views.confirm,
        name="newsletter-confirm",
    ),
    path("u/<str:token>", newsletter_views.unsubscribe, name="newsletter-unsubscribe"),
]
