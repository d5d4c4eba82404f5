from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns and tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # /admin/ signs in through the same throttle as /login/.
        from django.contrib import admin

        from campaigns.auth_forms import ThrottledAdminAuthenticationForm

        admin.site.login_form = ThrottledAdminAuthenticationForm
