"""Operational endpoints (included at the site root)."""

from django.urls import path

from channels.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
]
