"""Forms of tenancy's pages (sign-in, onboarding, workspace settings, members,
invitations, API keys). They validate input shape only; rules live in
`workspaces.services`."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth import password_validation

from workspaces.auth_forms import ThrottledAuthenticationForm
from workspaces.models import ApiKeyScope, Invitation, Role, User

# A workspace role is anything but owner: owner is organization-wide only
# (services refuse it too; offering it would only produce an error).
WORKSPACE_ROLES = [(r.value, r.label) for r in Role if r != Role.OWNER]


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, sorted; computed once per process (it reads tzdata)."""
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in names]


class LoginForm(ThrottledAuthenticationForm):
    """Django's sign-in form, but forgiving about the email's letter case.

    Emails are stored lower-case (`User.save`), so `Ann@Example.com` must
    find `ann@example.com`. Failed sign-ins are throttled (workspaces.auth_forms).
    """

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class OnboardingForm(forms.Form):
    organization_name = forms.CharField(
        label="Organization",
        max_length=200,
        help_text="Your agency or company.",
    )
    workspace_name = forms.CharField(
        label="First workspace",
        max_length=200,
        help_text="One client or brand; you can add more later.",
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices, initial="UTC", label="Time zone"
    )


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Posts are planned and published in this zone.",
    )
    approval_required = forms.BooleanField(
        required=False,
        label="Posts need approval",
        help_text="A reviewer or client approves each post before it is scheduled.",
    )

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True


class InviteForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"placeholder": "name@company.com"})
    )
    role = forms.ChoiceField(choices=WORKSPACE_ROLES, initial=Role.EDITOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Reporting dashboard"}),
        help_text="So you can tell keys apart later.",
    )
    scope = forms.ChoiceField(choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)


class InvitationSignUpForm(forms.Form):
    """A new account for the invited address; the email comes from the invitation.

    The email is not a field: whoever holds the link may only create the
    account the invitation was addressed to.
    """

    name = forms.CharField(max_length=150, label="Your name")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            first, _, last = data.get("name", "").strip().partition(" ")
            candidate = User(
                email=self.invitation.email, first_name=first, last_name=last
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        if User.objects.filter(email__iexact=self.invitation.email).exists():
            raise forms.ValidationError(
                "An account with this email exists already: sign in to accept."
            )
        return data

    def save(self) -> User:
        """Create the account (like Django's UserCreationForm.save)."""
        first, _, last = self.cleaned_data["name"].strip().partition(" ")
        return User.objects.create_user(
            email=self.invitation.email,
            password=self.cleaned_data["password1"],
            first_name=first[:150],
            last_name=last.strip()[:150],
        )
