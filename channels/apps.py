from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns import lifecycle
        from channels import failures
        from channels.publication_review import hold_for_review
        from channels.publishing import (
            publications_follow_post,
            publications_follow_status,
        )

        # A scheduled post gets its publications, and one leaving `scheduled`
        # loses the ones no worker has claimed, inside the transaction that
        # moves it: a failure undoes the move (see channels.publishing.creating).
        lifecycle.register_status_listener(publications_follow_status)
        # Copy edited after publishing started: only the publications that have
        # not gone out wait for a review (see channels.publication_review).
        lifecycle.register_edit_listener(hold_for_review)
        # A post moved in time: its publications without their own time follow.
        lifecycle.register_time_listener(publications_follow_post)
        # Retrying a failed post that no retry can fix is not offered.
        lifecycle.register_retry_check(failures.post_retry_blocked)
