"""Operational endpoints (included at the site root)."""

from django.urls import path

from connections import views as channel_views
from publishing import (
    audience_views,
    channels_page,
    newsletter_views,
    publication_views,
)
from publishing.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # The Channels page and the forms posted to it (publishing/channels_page.py),
    # its account actions and the OAuth callback (connections/views.py), a
    # newsletter's audience (publishing/audience_views.py), publication actions
    # and the calendar's status poll (publishing/publication_views.py).
    path("channels/", channels_page.channel_accounts, name="channels"),
    path(
        "channels/connect/<slug:network>/",
        channels_page.connect,
        name="channel-connect",
    ),
    path(
        "channels/oauth/callback/",
        channel_views.oauth_callback,
        name="channel-oauth-callback",
    ),
    path(
        "channels/oauth/<slug:network>/start/",
        channels_page.oauth_start,
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
        channels_page.disconnect,
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
