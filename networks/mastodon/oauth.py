"""Mastodon's OAuth 2.0: endpoints on each account's own instance, where AdLoop
registers itself as an app the first time someone connects an account there
(https://docs.joinmastodon.org/methods/apps/); the app's client id and secret
come from that registration, not from settings."""

from networks.oauth import OAuthEntry

OAUTH = OAuthEntry(
    network="mastodon",
    authorize_url="{instance}/oauth/authorize",
    token_url="{instance}/oauth/token",  # noqa: S106 (a URL)
    profile_url="{instance}/api/v1/accounts/verify_credentials",
    scopes=("read:accounts", "write:statuses", "write:media"),
    per_instance=True,
    register_url="{instance}/api/v1/apps",
    instance_hint="Give the Mastodon instance, e.g. mastodon.social.",
    instance_https="A Mastodon instance is reached over https.",
)
