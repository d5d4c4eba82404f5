"""URLs of the server-rendered UI (the API lives under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from campaigns.views import (
    brands,
    calendar,
    feeds,
    imports,
    jobs,
    placeholders,
    wizard,
)
from campaigns.views import campaigns as campaign_views
from workspaces.views import api_keys, auth, invitations, members, security, workspaces

urlpatterns = [
    # Accounts.
    path("login/", auth.LoginView.as_view(), name="login"),
    path("login/code/", security.login_code, name="login-code"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth.PasswordChangeView.as_view(),
        name="password_change",
    ),
    # Two-factor sign-in and personal access tokens (Settings → Security).
    path("account/security/", security.security, name="security"),
    path(
        "account/security/two-factor/",
        security.two_factor_setup,
        name="two-factor-setup",
    ),
    path(
        "account/security/two-factor/off/",
        security.two_factor_disable,
        name="two-factor-disable",
    ),
    path(
        "account/security/recovery-codes/",
        security.recovery_codes_new,
        name="recovery-codes-new",
    ),
    path(
        "account/security/organization/",
        security.organization_rule,
        name="organization-two-factor",
    ),
    path("account/security/tokens/", security.token_create, name="token-create"),
    path(
        "account/security/tokens/<int:pk>/revoke/",
        security.token_revoke,
        name="token-revoke",
    ),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", invitations.accept, name="invitation-accept"),
    # The current workspace.
    path("workspaces/switch/", workspaces.switch, name="workspace-switch"),
    path("settings/", workspaces.settings_page, name="workspace-settings"),
    path("settings/members/", members.members, name="members"),
    path("settings/members/invite/", members.invite, name="member-invite"),
    path("settings/members/<int:pk>/role/", members.change_role, name="member-role"),
    path("settings/members/<int:pk>/remove/", members.remove, name="member-remove"),
    path(
        "settings/invitations/<int:pk>/revoke/",
        members.revoke_invitation,
        name="invitation-revoke",
    ),
    path("settings/api-keys/", api_keys.api_keys, name="api-keys"),
    path("settings/api-keys/new/", api_keys.create, name="api-key-create"),
    path("settings/api-keys/<int:pk>/revoke/", api_keys.revoke, name="api-key-revoke"),
    # The editorial calendar and the iCalendar feed (the home page, the post
    # editor and approvals: workflow/urls.py, included after this).
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/feed/reset/", feeds.reset, name="calendar-feed-reset"),
    path("calendar/feed/<str:token>.ics", feeds.feed, name="calendar-feed"),
    path("posts/<int:pk>/move/", calendar.move, name="post-move"),
    # Campaigns, brands, the wizard, plan jobs, CSV import, planning accounts.
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", wizard.start, name="campaign-new"),
    path("campaigns/new/<slug:step>/", wizard.step_view, name="campaign-wizard"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign-detail"),
    path(
        "campaigns/<int:pk>/edit/", campaign_views.campaign_edit, name="campaign-edit"
    ),
    path(
        "campaigns/<int:pk>/status/",
        campaign_views.campaign_status,
        name="campaign-status",
    ),
    path(
        "campaigns/<int:pk>/plan/",
        campaign_views.campaign_replan,
        name="campaign-replan",
    ),
    path("brands/", brands.brand_list, name="brands"),
    path("brands/new/", brands.brand_create, name="brand-create"),
    path("brands/<int:pk>/", brands.brand_edit, name="brand-edit"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job"),
    path("posts/import/", imports.posts_import_page, name="posts-import"),
    # Sections still to come: an honest page each (same names later).
    *[
        path(f"{name}/", placeholders.upcoming, {"section": name}, name=name)
        for name in placeholders.UPCOMING
    ],
]
