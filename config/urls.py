"""Root URLs: the UI at /, the REST API at /api/v1/, health at /healthz."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/v1/", include("campaigns.api.urls")),
    path("", include("channels.urls")),
    path("", include("content.urls")),
    path("", include("demo.urls")),
    path("", include("campaigns.urls")),
]
