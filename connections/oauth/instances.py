"""Networks whose OAuth endpoints are per instance (their entry says
`per_instance`): one app registration per instance (AdLoop registers itself on
each instance the first time someone connects an account there), and
`provider_for`, which picks a network's provider: a fixed one from
`providers`, or the one built from the instance's registration.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from connections.models import MastodonApp, Network
from connections.oauth.providers import (
    OAuthError,
    Provider,
    endpoint,
    instance_entry,
    oauth_providers,
    provider_of,
    redirect_uri,
    setting,
)
from connections.oauth.tokens import post_json
from core import outbound_urls
from networks import registry


def normalize_instance(url: str) -> str:
    """`https://host[:port]` of an instance (a bare host is accepted)."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    entry = instance_entry()
    hint = entry.instance_hint
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # "[::1" or a port that is not a number
        raise OAuthError(hint, kind="config") from None
    allow_http = setting("OUTBOUND_ALLOW_PRIVATE", False)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise OAuthError(entry.instance_https, kind="config")
    if not host:
        raise OAuthError(hint, kind="config")
    # An address written as such ([::1], [::ffff:127.0.0.1], 2130706433) is
    # refused here, like every channel URL; a name is checked when called.
    if outbound_urls.is_private_host(host) and not outbound_urls.allows_private():
        raise OAuthError(outbound_urls.PRIVATE_REFUSED, kind="config")
    host = outbound_urls.url_host(host)  # brackets back on an IPv6 address
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


@sensitive_variables("data", "client")
def instance_app(instance_url: str) -> MastodonApp:
    """The app registered on `instance_url`, registering it on first use (the
    entry's `register_url`)."""
    instance_url = normalize_instance(instance_url)
    entry = instance_entry()
    scopes = " ".join(entry.scopes)
    app = MastodonApp.objects.filter(instance_url=instance_url).first()
    if app and app.redirect_uri == redirect_uri() and app.scopes == scopes:
        return app
    body = urlencode(
        {
            "client_name": "AdLoop",
            "redirect_uris": redirect_uri(),
            "scopes": scopes,
            "website": settings.SITE_URL,
        }
    ).encode()
    data = post_json(
        endpoint(entry.register_url, instance=instance_url),
        body,
        headers={},
        what="register AdLoop on",
    )
    client = {
        "client_id": data.get("client_id"),
        "client_secret": data.get("client_secret"),
    }
    if not client["client_id"]:
        raise OAuthError(f"{instance_url} did not register the app.", kind="config")
    fields = {"redirect_uri": redirect_uri(), "scopes": scopes, "client": client}
    try:
        with transaction.atomic():
            app, _ = MastodonApp.objects.update_or_create(
                instance_url=instance_url, defaults=fields
            )
    except IntegrityError:  # registered concurrently: use the stored one
        app = MastodonApp.objects.get(instance_url=instance_url)
    return app


def provider_for(
    network: str, *, instance_url: str = "", client: dict[str, Any] | None = None
) -> Provider:
    """`client`: the Mastodon app that issued an account's tokens. A refresh must
    use it: the instance's current registration may be a newer one (SITE_URL
    changed), and its client id would be told `invalid_grant`."""
    entry = registry.oauth_entries().get(network)
    if entry is not None and entry.per_instance:
        if client and client.get("client_id"):
            base = normalize_instance(instance_url)
        else:
            app = instance_app(instance_url)
            base, client = app.instance_url, app.client
        return replace(
            provider_of(entry, instance=base),
            client_id=client["client_id"],
            client_secret=client.get("client_secret") or "",
        )
    providers = oauth_providers()
    if network not in providers:
        raise OAuthError(
            f"{Network(network).label} does not connect with OAuth.", kind="config"
        )
    return providers[network]
