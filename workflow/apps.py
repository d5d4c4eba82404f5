from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """What needs several apps at once: the planner, the approval card, the
    post transitions that check copy against accounts. No models."""

    name = "workflow"
    verbose_name = "Workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the plan task in every process (web ones too), so that
        # `campaigns.services.plans` can queue it by name from below.
        from workflow import tasks  # noqa: F401
