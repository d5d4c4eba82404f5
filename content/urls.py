"""URLs of the copy-generation UI (included from config/urls.py)."""

from django.urls import path

from content.views import ai_settings, stream, variants

urlpatterns = [
    path("posts/<int:pk>/variants/", variants.panel, name="variants-panel"),
    path(
        "posts/<int:pk>/variants/generate/",
        variants.generate,
        name="variants-generate",
    ),
    path("posts/<int:pk>/variants/stream/", stream.stream, name="variants-stream"),
    path(
        "generations/<int:pk>/progress/",
        variants.progress,
        name="generation-progress",
    ),
    path("generations/<int:pk>/cancel/", variants.cancel, name="generation-cancel"),
    path("variants/<int:pk>/edit/", variants.edit, name="variant-edit"),
    path("variants/<int:pk>/choose/", variants.choose, name="variant-choose"),
    path("variants/<int:pk>/delete/", variants.delete, name="variant-delete"),
    path(
        "variants/<int:pk>/regenerate/",
        variants.regenerate,
        name="variant-regenerate",
    ),
    path("variants/<int:pk>/override/", variants.override, name="variant-override"),
    path("settings/ai/", ai_settings.ai_settings_page, name="ai-settings"),
]
