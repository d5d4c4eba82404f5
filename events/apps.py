from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The audit log and the outbox of domain events: written by every app above
    it, in the writer's own transaction, so a record exists exactly when the
    change it describes committed."""

    name = "events"
    verbose_name = "Events and audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events import receivers

        receivers.connect()
