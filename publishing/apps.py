from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """Publications and their delivery. The app label stays `channels`: it names
    the tables and the migration history of databases made before the rename."""

    name = "publishing"
    label = "channels"
    verbose_name = "Publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns import lifecycle
        from connections import accounts, audience
        from publishing import account_hooks, failures, newsletter
        from publishing.delivery import (
            publications_follow_post,
            publications_follow_status,
        )
        from publishing.publication_review import hold_for_review

        # A scheduled post gets its publications, and one leaving `scheduled`
        # loses the ones no worker has claimed, inside the transaction that
        # moves it: a failure undoes the move (see publishing.delivery.creating).
        lifecycle.register_status_listener(publications_follow_status)
        # Copy edited after publishing started: only the publications that have
        # not gone out wait for a review (see publishing.publication_review).
        lifecycle.register_edit_listener(hold_for_review)
        # A post moved in time: its publications without their own time follow.
        lifecycle.register_time_listener(publications_follow_post)
        # Retrying a failed post that no retry can fix is not offered.
        lifecycle.register_retry_check(failures.post_retry_blocked)
        # Disconnecting a channel account cancels its unsent publications, in
        # the disconnect's transaction (see publishing.account_hooks).
        accounts.register_disconnect_listener(
            account_hooks.publications_cancel_for_account
        )
        # The accounts API shows an email channel's subscribers per status.
        audience.register_audience_counter(newsletter.audience_counts)
