"""What connecting an email newsletter asks for: the SMTP server and login,
and the sender."""

from collections.abc import Mapping
from typing import Any

from networks.credentials import (
    CHOICE,
    EMAIL,
    INTEGER,
    CredentialForm,
    Field,
    secret,
)

SECURITY_CHOICES = (("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None"))


def _build(data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    return {
        "host": data["host"].strip(),
        "port": data["port"],
        "security": data.get("security") or "starttls",
        "username": data.get("username", ""),
        "password": data.get("password", ""),
        "from_email": data["from_email"],
        "from_name": data.get("from_name", ""),
    }, ""


def _identity(credentials: Mapping[str, Any], url: str) -> tuple[str, str]:
    return "", str(credentials.get("from_email", ""))


CREDENTIALS = CredentialForm(
    network="email",
    fields=(
        Field("host", "SMTP server", max_length=253, api_help="email"),
        Field(
            "port",
            "Port",
            kind=INTEGER,
            min_value=1,
            max_value=65535,
            initial=587,
            api_help="email: 587 or 465",
        ),
        Field(
            "security",
            kind=CHOICE,
            choices=SECURITY_CHOICES,
            initial="starttls",
            api_required=False,
            api_help="email; default starttls",
        ),
        Field(
            "username",
            "SMTP user",
            required=False,
            max_length=254,
            api_help="email (SMTP) and wordpress",
        ),
        secret(
            "password",
            "SMTP password",
            required=False,
            api_help="email: the SMTP password.",
        ),
        Field("from_email", "From address", kind=EMAIL, api_help="email: sender"),
        Field("from_name", "From name", required=False, max_length=200),
    ),
    build=_build,
    identity=_identity,
)
