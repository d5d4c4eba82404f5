"""What connecting WordPress asks for: the site, a user and an application
password (the REST API's Basic auth)."""

from collections.abc import Mapping
from typing import Any

from networks.credentials import URL, CredentialForm, Field, secret


def _build(data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    return {
        "site_url": data["site_url"].rstrip("/"),
        "username": data["username"],
        "app_password": data["app_password"],
    }, ""


def _identity(credentials: Mapping[str, Any], url: str) -> tuple[str, str]:
    return "", str(credentials["site_url"])


CREDENTIALS = CredentialForm(
    network="wordpress",
    fields=(
        Field(
            "site_url",
            "Site address",
            kind=URL,
            public_url=True,
            api_help="wordpress: the site",
        ),
        Field(
            "username",
            "User",
            max_length=254,
            api_help="email (SMTP) and wordpress",
        ),
        secret(
            "app_password",
            "Application password",
            help_text="Users → Profile → Application passwords.",
            api_help="bluesky and wordpress: an app password.",
        ),
    ),
    build=_build,
    identity=_identity,
)
