"""What connecting a webhook asks for: where to POST, and the HMAC secret."""

from collections.abc import Mapping
from typing import Any

from networks.credentials import URL, CredentialForm, Field, secret


def _build(data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    return {"secret": data["secret"]}, data["url"]


def _identity(credentials: Mapping[str, Any], url: str) -> tuple[str, str]:
    """The URL is the external id; its host is the handle."""
    return url, url.split("//", 1)[-1].split("/", 1)[0]


CREDENTIALS = CredentialForm(
    network="webhook",
    fields=(
        Field(
            "url",
            "Webhook URL",
            kind=URL,
            max_length=255,
            public_url=True,
            api_help="webhook: where to POST.",
        ),
        secret(
            "secret",
            "Signing secret",
            min_length=16,
            help_text="16 characters or more; the receiver checks the HMAC signature.",
            api_help="webhook: the HMAC signing secret (16+ characters).",
        ),
    ),
    build=_build,
    identity=_identity,
)
