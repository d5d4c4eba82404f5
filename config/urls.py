"""Root URLs: the UI at /, the REST API at /api/v1/, health at /healthz,
Prometheus metrics at /metrics (token only, config/metrics.py)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # The split view serves Swagger UI's start-up script as a file of its
        # own (?script), so the page needs no inline script (config/csp.py).
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/v1/", include("config.api_urls")),
    path("metrics", metrics_view, name="metrics"),
    path("", include("publishing.urls")),
    path("", include("content.urls")),
    path("", include("demo.urls")),
    path("", include("campaigns.urls")),
    # After campaigns: its posts/<pk>/move/ before the post actions' catch-all.
    path("", include("workflow.urls")),
]
