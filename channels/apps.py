from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns.signals import post_status_changed
        from channels.publishing import on_post_status_changed

        # A scheduled post gets its publications; one leaving `scheduled` loses
        # the ones no worker has claimed (see channels.publishing).
        post_status_changed.connect(
            on_post_status_changed, dispatch_uid="channels.publications"
        )
