from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The brand-safety gate has a say in approvals: a post whose chosen copy
        # fails it is approved only by an owner or admin, and the history says so.
        from campaigns import lifecycle
        from content.services.copy_checks import limit_problems
        from content.services.variants import gate_overridden, gate_problems

        lifecycle.register_approval_check(gate_problems, on_override=gate_overridden)
        # Copy or images over a channel's limit: the network would refuse them,
        # so no one submits, approves or schedules past them.
        lifecycle.register_move_check(limit_problems)
