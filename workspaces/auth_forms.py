"""Sign-in forms that throttle failures: the UI's /login/ and the admin's.

The throttle is asked before the password is checked, so while an
(account, address) pair waits even the right password does not sign in from
there (a guesser learns nothing from a throttled try); elsewhere the owner signs
in as usual. Rules live in workspaces.signin_throttle; these forms only call it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from workspaces import signin_throttle

if TYPE_CHECKING:
    _MixinBase = AuthenticationForm
else:  # a mixin: the form class it is mixed into comes later in the bases
    _MixinBase = object


class ThrottledAuthenticationMixin(_MixinBase):
    """Wraps AuthenticationForm.clean with the sign-in throttle."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()  # field errors only
        request = self.request if self.request is not None else HttpRequest()
        try:
            signin_throttle.begin_signin(request, username)
        except signin_throttle.SignInThrottled as exc:
            raise ValidationError(str(exc), code="throttled") from None
        try:
            cleaned = super().clean()
        except Exception:  # wrong password, inactive account, or a crash
            signin_throttle.signin_failed(request, username)
            raise
        signin_throttle.signin_succeeded(request, username)
        return cleaned


class ThrottledAdminAuthenticationForm(
    ThrottledAuthenticationMixin, AdminAuthenticationForm
):
    """The admin's sign-in (/admin/login/), with the same throttle as /login/."""


class ThrottledAuthenticationForm(ThrottledAuthenticationMixin, AuthenticationForm):
    """Django's sign-in form with the throttle (for forms built on it)."""
