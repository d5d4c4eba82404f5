"""LinkedIn's OAuth 2.0 (https://learn.microsoft.com/linkedin/shared/
authentication/authorization-code-flow)."""

from collections.abc import Mapping
from typing import Any

from networks.oauth import OAuthEntry, OAuthProfile


def _read_profile(data: Mapping[str, Any], profile_url: str) -> OAuthProfile:
    """OpenID Connect userinfo: no handle."""
    return OAuthProfile(
        str(data.get("sub", "")), data.get("name", ""), "", data.get("picture", "")
    )


OAUTH = OAuthEntry(
    network="linkedin",
    authorize_url="{LINKEDIN_OAUTH_BASE_URL}/oauth/v2/authorization",
    token_url="{LINKEDIN_OAUTH_BASE_URL}/oauth/v2/accessToken",  # noqa: S106 (a URL)
    profile_url="{LINKEDIN_API_BASE_URL}/v2/userinfo",
    scopes=("openid", "profile", "w_member_social"),
    client_id_setting="LINKEDIN_CLIENT_ID",
    client_secret_setting="LINKEDIN_CLIENT_SECRET",  # noqa: S106 (a setting name)
    pkce=False,  # LinkedIn's web flow authenticates with the client secret
    read_profile=_read_profile,
)
