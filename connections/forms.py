"""Connect forms of the Channels page, one per credential-based network.

Each form's `credentials()` builds the same JSON object the API stores (see
`connections.accounts` for the keys each connector reads). Password inputs never
render their value back (`render_value=False`), so a secret is not echoed into
the page after a failed submit.
"""

from __future__ import annotations

from typing import Any

from django import forms

from connections.models import Network
from core.outbound_urls import url_problem

SECURITY_CHOICES = [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None")]


def _secret(label: str, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        **kw,
    )


def _https(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise forms.ValidationError(problem)
    return value


class ConnectForm(forms.Form):
    network: str = ""
    name = forms.CharField(label="Display name", max_length=200, required=False)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def credentials(self) -> tuple[dict[str, Any], str]:
        raise NotImplementedError


class WebhookForm(ConnectForm):
    network = Network.WEBHOOK
    url = forms.URLField(label="Webhook URL", max_length=255, assume_scheme="https")
    secret = _secret(
        "Signing secret",
        min_length=16,
        help_text="16 characters or more; the receiver checks the HMAC signature.",
    )

    def clean_url(self) -> str:
        return _https(self.cleaned_data["url"])

    def credentials(self) -> tuple[dict[str, Any], str]:
        return {"secret": self.cleaned_data["secret"]}, self.cleaned_data["url"]


class BlueskyForm(ConnectForm):
    network = Network.BLUESKY
    handle = forms.CharField(
        label="Handle", max_length=253, help_text="e.g. roastery.bsky.social"
    )
    app_password = _secret(
        "App password", help_text="Settings → Privacy and security → App passwords."
    )
    service = forms.URLField(
        label="Server",
        required=False,
        assume_scheme="https",
        help_text="Leave empty for bsky.social.",
    )

    def clean_service(self) -> str:
        value = self.cleaned_data["service"]
        return _https(value) if value else value

    def credentials(self) -> tuple[dict[str, Any], str]:
        data = self.cleaned_data
        return {
            "handle": data["handle"].strip().lstrip("@"),
            "app_password": data["app_password"],
            "service": (data["service"] or "https://bsky.social").rstrip("/"),
        }, ""


class EmailForm(ConnectForm):
    network = Network.EMAIL
    host = forms.CharField(label="SMTP server", max_length=253)
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(choices=SECURITY_CHOICES, initial="starttls")
    username = forms.CharField(label="SMTP user", max_length=254, required=False)
    password = _secret("SMTP password", required=False)
    from_email = forms.EmailField(label="From address")
    from_name = forms.CharField(label="From name", max_length=200, required=False)

    def credentials(self) -> tuple[dict[str, Any], str]:
        data = self.cleaned_data
        return {
            "host": data["host"].strip(),
            "port": data["port"],
            "security": data["security"],
            "username": data["username"],
            "password": data["password"],
            "from_email": data["from_email"],
            "from_name": data["from_name"],
        }, ""


class WordPressForm(ConnectForm):
    network = Network.WORDPRESS
    site_url = forms.URLField(label="Site address", assume_scheme="https")
    username = forms.CharField(label="User", max_length=254)
    app_password = _secret(
        "Application password", help_text="Users → Profile → Application passwords."
    )

    def clean_site_url(self) -> str:
        return _https(self.cleaned_data["site_url"])

    def credentials(self) -> tuple[dict[str, Any], str]:
        data = self.cleaned_data
        return {
            "site_url": data["site_url"].rstrip("/"),
            "username": data["username"],
            "app_password": data["app_password"],
        }, ""


class MastodonForm(forms.Form):
    instance_url = forms.CharField(
        label="Instance", max_length=255, help_text="e.g. mastodon.social"
    )


class SendTestForm(forms.Form):
    to = forms.EmailField(label="Send a test message to")


class SubscriberAddForm(forms.Form):
    email = forms.EmailField(
        label="Add a subscriber",
        max_length=254,
        help_text="They receive a confirmation link first (double opt-in).",
    )


CONNECT_FORMS: dict[str, type[ConnectForm]] = {
    Network.WEBHOOK: WebhookForm,
    Network.BLUESKY: BlueskyForm,
    Network.EMAIL: EmailForm,
    Network.WORDPRESS: WordPressForm,
}
