"""Forms of two-factor sign-in and personal access tokens (views.security)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from workspaces import twofactor
from workspaces.auth_forms import ThrottledAdminAuthenticationForm


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your "
        "recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "spellcheck": "false",
            }
        ),
    )


class LoginCodeForm(CodeForm):
    """The sign-in's code step: the page's one field, focused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["autofocus"] = True


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=16,
        help_text="After scanning, the app shows a 6-digit code that changes "
        "every 30 seconds.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


class RequirementForm(forms.Form):
    require_two_factor = forms.BooleanField(
        required=False,
        label="Require two-factor sign-in for every member",
    )


EXPIRY_CHOICES = [
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("never", "Never (until revoked)"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where you will use it, e.g. “Review bot” or “My laptop”.",
    )
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires")

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the current time zone (None: never)."""
        choice = self.cleaned_data["expires"]
        if choice == "never":
            return None
        day = timezone.localdate() + timedelta(days=int(choice))
        return timezone.make_aware(datetime.combine(day, time.max))


class TwoFactorAdminAuthenticationForm(ThrottledAdminAuthenticationForm):
    """/admin/ signs in with a password only, so an account with two-factor
    sign-in is sent to the sign-in page (code included) instead; once signed in
    there, the admin opens as usual."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and twofactor.is_enrolled(user):
            self.user_cache = None
            raise ValidationError(
                "This account signs in with a two-factor code: sign in on "
                "AdLoop's sign-in page, then open the admin.",
                code="two_factor",
            )
        return cleaned
