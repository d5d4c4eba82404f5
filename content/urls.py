"""URLs of the copy-generation UI (included from config/urls.py)."""

from django.urls import path

from content.views import ai_settings, library, post_images, stream, variants

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
    # The media library (replaces the "content" placeholder page).
    path("content/", library.library, name="content"),
    path("content/upload/", library.upload, name="asset-upload"),
    path("content/assets/<int:pk>/", library.detail, name="asset-detail"),
    path("content/assets/<int:pk>/delete/", library.delete, name="asset-delete"),
    # One card of the grid: a card still processing asks for itself again.
    path("content/assets/<int:pk>/card/", library.card, name="asset-card"),
    path("content/assets/<int:pk>/<slug:kind>/", library.asset_file, name="asset-file"),
    path("content/renditions/<int:pk>/", library.rendition_file, name="rendition-file"),
    # The post editor's Images panel.
    path("posts/<int:pk>/images/", post_images.panel, name="post-images"),
    path(
        "posts/<int:pk>/images/generate/",
        post_images.generate,
        name="post-image-generate",
    ),
    path("posts/<int:pk>/images/picker/", post_images.picker, name="post-image-picker"),
    path("posts/<int:pk>/images/attach/", post_images.attach, name="post-image-attach"),
    path(
        "posts/<int:pk>/images/<int:asset_pk>/detach/",
        post_images.detach,
        name="post-image-detach",
    ),
    path(
        "image-jobs/<int:pk>/progress/",
        post_images.progress,
        name="image-job-progress",
    ),
    path("image-jobs/<int:pk>/cancel/", post_images.cancel, name="image-job-cancel"),
]
