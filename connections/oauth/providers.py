"""Which networks connect by OAuth 2.0, and how each one does it: endpoints,
scopes, client credentials (from settings, or Mastodon's per-instance app
registration), PKCE, how a token is refreshed. Also `OAuthError`, the one
error every step of a connect or refresh raises.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from connections.models import Network

STATE_SALT = "connections.oauth.state"


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def state_max_age() -> int:
    return int(setting("OAUTH_STATE_MAX_AGE_SECONDS", 600))


def refresh_margin() -> timedelta:
    return timedelta(seconds=int(setting("OAUTH_REFRESH_MARGIN_SECONDS", 900)))


class OAuthError(Exception):
    """A connect or refresh that did not work. `kind`: "transient" (try again
    later), "revoked" (the grant is definitely gone), "refused" (our state check
    failed), "config" (a missing client id, a protocol error)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Provider:
    """One network's OAuth endpoints and habits."""

    network: str
    authorize_url: str
    token_url: str
    profile_url: str
    scopes: tuple[str, ...]
    client_id_setting: str = ""
    client_secret_setting: str = ""
    scope_separator: str = " "
    pkce: bool = True
    client_auth: str = "body"  # "basic": HTTP Basic (X's confidential clients)
    refresh: str = "refresh_token"  # or "fb_exchange_token", or "" (none)
    client_id: str = ""  # Mastodon: from the per-instance app registration
    client_secret: str = ""

    def credentials(self) -> tuple[str, str]:
        client_id = self.client_id or setting(self.client_id_setting, "")
        secret = self.client_secret or setting(self.client_secret_setting, "")
        if not client_id:
            raise OAuthError(
                f"Connecting {Network(self.network).label} is not set up: "
                f"{self.client_id_setting} is empty.",
                kind="config",
            )
        return client_id, secret


# Official endpoints. X: https://docs.x.com/resources/fundamentals/authentication/
# oauth-2-0/authorization-code ; LinkedIn: https://learn.microsoft.com/linkedin/
# shared/authentication/authorization-code-flow ; Facebook Login:
# https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
# The hosts come from settings (read at call time) so tests and staging can point
# them at local servers: see config/settings.py, "Channel connectors".
def oauth_providers() -> dict[str, Provider]:
    """The OAuth networks other than Mastodon (whose endpoints are per instance)."""
    x_api = settings.X_API_BASE_URL
    graph = f"{settings.GRAPH_API_BASE_URL}/{settings.GRAPH_API_VERSION}"
    dialog = f"{settings.FACEBOOK_DIALOG_BASE_URL}/{settings.GRAPH_API_VERSION}"
    facebook = Provider(
        network=Network.FACEBOOK,
        authorize_url=f"{dialog}/dialog/oauth",
        token_url=f"{graph}/oauth/access_token",
        profile_url=f"{graph}/me?fields=id,name,picture",
        scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
        client_id_setting="FACEBOOK_APP_ID",
        client_secret_setting="FACEBOOK_APP_SECRET",  # noqa: S106 (a setting name)
        scope_separator=",",
        refresh="fb_exchange_token",
    )
    return {
        Network.X: Provider(
            network=Network.X,
            authorize_url=settings.X_OAUTH_AUTHORIZE_URL,
            token_url=f"{x_api}/2/oauth2/token",
            profile_url=f"{x_api}/2/users/me?user.fields=profile_image_url",
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
        ),
        Network.LINKEDIN: Provider(
            network=Network.LINKEDIN,
            authorize_url=f"{settings.LINKEDIN_OAUTH_BASE_URL}/oauth/v2/authorization",
            token_url=f"{settings.LINKEDIN_OAUTH_BASE_URL}/oauth/v2/accessToken",
            profile_url=f"{settings.LINKEDIN_API_BASE_URL}/v2/userinfo",
            scopes=("openid", "profile", "w_member_social"),
            client_id_setting="LINKEDIN_CLIENT_ID",
            client_secret_setting="LINKEDIN_CLIENT_SECRET",  # noqa: S106 (a setting name)
            pkce=False,  # LinkedIn's web flow authenticates with the client secret
        ),
        Network.FACEBOOK: facebook,
        # Instagram publishes through the Facebook Login grant of its Page.
        Network.INSTAGRAM: replace(
            facebook,
            network=Network.INSTAGRAM,
            scopes=(
                "pages_show_list",
                "instagram_basic",
                "instagram_content_publish",
                "business_management",
            ),
        ),
    }


MASTODON_SCOPES = ("read:accounts", "write:statuses", "write:media")


def redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('channel-oauth-callback')}"
