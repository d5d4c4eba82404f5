"""X's OAuth 2.0 (https://docs.x.com/resources/fundamentals/authentication/
oauth-2-0/authorization-code): PKCE, a confidential client (HTTP Basic)."""

from collections.abc import Mapping
from typing import Any

from networks.oauth import OAuthEntry, OAuthProfile


def _read_profile(data: Mapping[str, Any], profile_url: str) -> OAuthProfile:
    user = data.get("data") or {}
    return OAuthProfile(
        str(user.get("id", "")),
        user.get("name", ""),
        f"@{user.get('username', '')}",
        user.get("profile_image_url", ""),
    )


OAUTH = OAuthEntry(
    network="x",
    authorize_url="{X_OAUTH_AUTHORIZE_URL}",
    token_url="{X_API_BASE_URL}/2/oauth2/token",  # noqa: S106 (a URL)
    profile_url="{X_API_BASE_URL}/2/users/me?user.fields=profile_image_url",
    scopes=(
        "tweet.read",
        "tweet.write",
        "users.read",
        "media.write",
        "offline.access",
    ),
    client_id_setting="X_CLIENT_ID",
    client_secret_setting="X_CLIENT_SECRET",  # noqa: S106 (a setting name)
    client_auth="basic",
    read_profile=_read_profile,
)
