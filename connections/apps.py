from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    """Channel accounts: connecting, credentials, OAuth, testing, reconnecting.

    Its models keep the app label `channels` (see connections/models.py): their
    tables and migrations predate the move to this package."""

    name = "connections"
    verbose_name = "Channel accounts"
    default_auto_field = "django.db.models.BigAutoField"
