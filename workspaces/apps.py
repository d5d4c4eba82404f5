from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    """Tenancy: people, organizations, workspaces, memberships, invitations, keys.

    Its models keep the app label `campaigns` (see workspaces/models.py): their
    tables, migrations and AUTH_USER_MODEL predate the move to this package."""

    name = "workspaces"
    verbose_name = "Workspaces and people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # /admin/ signs in through the same throttle as /login/, and sends
        # accounts with two-factor sign-in to /login/ (the admin has no code step).
        from django.contrib import admin

        from workspaces.twofactor_forms import TwoFactorAdminAuthenticationForm

        admin.site.login_form = TwoFactorAdminAuthenticationForm
