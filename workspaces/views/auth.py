"""Sign in, sign out, password change and reset: Django's views, our templates.

Django's auth views already do the hard parts (rate of token expiry, no user
enumeration on reset, session rotation); we only configure them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy

from workspaces import signin_throttle, twofactor
from workspaces.forms import LoginForm
from workspaces.models import User


class LoginView(auth_views.LoginView):
    """The password step. With two-factor sign-in set up, the right password
    only leads to the code step (`workspaces.views.security.login_code`): the
    session is signed in once the code verifies."""

    template_name = "auth/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if twofactor.is_enrolled(user):
            # authenticate() sets `backend` on the user it returns; no model
            # declares it.
            backend: str = user.backend  # type: ignore[attr-defined]  # see above
            twofactor.login_pending(self.request, user, backend, self.get_success_url())
            return redirect("login-code")
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link or an image cannot sign anyone out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "auth/password_change.html"
    success_url = reverse_lazy("password_change")
    extra_context = {"section": "settings", "settings_tab": "password"}

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Sends the link through Django's email backend (console, SMTP…)."""

    template_name = "auth/password_reset_form.html"
    email_template_name = "auth/password_reset_email.txt"
    subject_template_name = "auth/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Form) -> HttpResponse:
        # Each request mails someone: limited per email and per source address
        # (workspaces.signin_throttle), the same answer whether or not an
        # account has the email.
        wait = signin_throttle.password_reset_wait(
            self.request, form.cleaned_data["email"]
        )
        if wait:
            form.add_error(None, signin_throttle.reset_wait_message(wait))
            return self.form_invalid(form)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "auth/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        # The link proved the mailbox: a sign-in throttle on this account from
        # this address must not keep its owner out with the new password.
        signin_throttle.signin_reset(self.request, form.user.email)
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "auth/password_reset_complete.html"
