from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns import lifecycle
        from campaigns.signals import post_status_changed
        from channels import failures
        from channels.publication_review import hold_for_review
        from channels.publishing import on_post_status_changed, publications_follow_post

        # A scheduled post gets its publications; one leaving `scheduled` loses
        # the ones no worker has claimed (see channels.publishing).
        post_status_changed.connect(
            on_post_status_changed, dispatch_uid="channels.publications"
        )
        # Copy edited after publishing started: only the publications that have
        # not gone out wait for a review (see channels.publication_review).
        lifecycle.register_edit_listener(hold_for_review)
        # A post moved in time: its publications without their own time follow.
        lifecycle.register_time_listener(publications_follow_post)
        # Retrying a failed post that no retry can fix is not offered.
        lifecycle.register_retry_check(failures.post_retry_blocked)
