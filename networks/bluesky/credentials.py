"""What connecting Bluesky asks for: the handle, an app password (never the
account password) and, optionally, the PDS."""

from collections.abc import Mapping
from typing import Any

from networks.credentials import URL, CredentialForm, Field, secret

DEFAULT_SERVICE = "https://bsky.social"


def _build(data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    return {
        "handle": data["handle"].strip().lstrip("@"),
        "app_password": data["app_password"],
        "service": (data.get("service") or DEFAULT_SERVICE).rstrip("/"),
    }, ""


def _identity(credentials: Mapping[str, Any], url: str) -> tuple[str, str]:
    handle = str(credentials["handle"]).lstrip("@")
    return "", f"@{handle}"


CREDENTIALS = CredentialForm(
    network="bluesky",
    fields=(
        Field(
            "handle",
            "Handle",
            max_length=253,
            help_text="e.g. roastery.bsky.social",
            api_help="bluesky: e.g. roastery.bsky.social",
        ),
        secret(
            "app_password",
            "App password",
            help_text="Settings → Privacy and security → App passwords.",
            api_help="bluesky and wordpress: an app password.",
        ),
        Field(
            "service",
            "Server",
            kind=URL,
            required=False,
            public_url=True,
            help_text="Leave empty for bsky.social.",
            api_help="bluesky: the PDS (default https://bsky.social).",
        ),
    ),
    build=_build,
    identity=_identity,
)
