"""OAuth 2.0 for the networks that connect by signing in (X, LinkedIn,
Facebook, Instagram, Mastodon): the connect flow, token refresh before expiry,
and what a refused refresh means.

- `providers`: each network's endpoints and habits, and `OAuthError`.
- `tokens`: the token and profile requests and how their answers read.
- `instances`: one app registration per instance; `provider_for`.
- `flow`: `oauth_start` and `oauth_callback` (state, PKCE, storing the tokens).
- `refresh`: `refresh_due_tokens`, the periodic job; a definite refusal goes
  through `connections.reconnect`, the one rule for `needs_reconnect`.

Every request goes through `core.http` (timeouts, private-network refusal,
redacted logs). Errors carry a message for a person and never a token. The
names below are the package's public surface; importers use
`from channels import oauth` and `oauth.<name>`.
"""

from connections.oauth.flow import PendingConnection, oauth_callback, oauth_start
from connections.oauth.instances import instance_app, normalize_instance, provider_for
from connections.oauth.providers import (
    STATE_SALT,
    OAuthError,
    Provider,
    oauth_providers,
    redirect_uri,
    refresh_margin,
    state_max_age,
)
from connections.oauth.refresh import refresh_account, refresh_due_tokens

__all__ = [
    "STATE_SALT",
    "OAuthError",
    "PendingConnection",
    "Provider",
    "instance_app",
    "normalize_instance",
    "oauth_callback",
    "oauth_providers",
    "oauth_start",
    "provider_for",
    "redirect_uri",
    "refresh_account",
    "refresh_due_tokens",
    "refresh_margin",
    "state_max_age",
]
