"""Operational endpoints (included at the site root)."""

from django.urls import path

from connections import views as channel_views
from publishing import audience_views, newsletter_views, publication_views
from publishing.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # The Channels page's actions and the OAuth callback (connections/views.py; the
    # page is /channels/), a newsletter's audience (publishing/audience_views.py),
    # publication actions and the calendar's status poll
    # (publishing/publication_views.py).
    path(
        "channels/connect/<slug:network>/",
        channel_views.connect,
        name="channel-connect",
    ),
    path(
        "connections/oauth/callback/",
        channel_views.oauth_callback,
        name="channel-oauth-callback",
    ),
    path(
        "connections/oauth/<slug:network>/start/",
        channel_views.oauth_start,
        name="channel-oauth-start",
    ),
    path("channels/<int:pk>/test/", channel_views.test, name="channel-test"),
    path(
        "channels/<int:pk>/send-test/",
        channel_views.send_test,
        name="channel-send-test",
    ),
    path(
        "channels/<int:pk>/disconnect/",
        channel_views.disconnect,
        name="channel-disconnect",
    ),
    path(
        "channels/<int:pk>/enable/",
        channel_views.enable,
        {"enabled": True},
        name="channel-enable",
    ),
    path(
        "channels/<int:pk>/disable/",
        channel_views.enable,
        {"enabled": False},
        name="channel-disable",
    ),
    path(
        "channels/<int:pk>/audience/",
        audience_views.audience,
        name="channel-audience",
    ),
    path(
        "channels/<int:pk>/audience/<int:subscriber_id>/remove/",
        audience_views.audience_remove,
        name="channel-audience-remove",
    ),
    path(
        "publications/<int:pk>/<slug:name>/",
        publication_views.publication_action,
        name="publication-action",
    ),
    path(
        "calendar/publications.json",
        publication_views.calendar_publications,
        name="calendar-publications",
    ),
    # Public newsletter pages (publishing/newsletter_views.py).
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
