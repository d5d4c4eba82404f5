from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns and tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # /admin/ signs in through the same throttle as /login/, and sends
        # accounts with two-factor sign-in to /login/ (the admin has no code step).
        from django.contrib import admin

        from campaigns.twofactor_forms import TwoFactorAdminAuthenticationForm

        admin.site.login_form = TwoFactorAdminAuthenticationForm
