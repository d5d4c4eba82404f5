from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """What needs several apps at once: the planner, the approval card, the
    post transitions that check copy against accounts. No models."""

    name = "workflow"
    verbose_name = "Workflow"
    default_auto_field = "django.db.models.BigAutoField"
