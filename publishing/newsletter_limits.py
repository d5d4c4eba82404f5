"""Abuse limits of the public newsletter sign-up form.

Why: the form mails a confirmation through the tenant's own SMTP server to any
address typed into it, so without limits anyone could flood a stranger's inbox
and ruin the tenant's sending reputation. Three rules, cheapest first:

- per source address (the client address `core.client_address.client_address`
  finds, behind `TRUSTED_PROXIES`): `NEWSLETTER_SIGNUPS_PER_SOURCE_PER_HOUR`;
- per target address, across every newsletter of every workspace:
  `NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR`;
- in the database (`publishing.newsletter.subscriber_subscribe`): a pending
  address is mailed again only after `NEWSLETTER_RESEND_SECONDS`.

The first two count in the shared cache under keyed hashes
(`core.client_address.address_digest`): neither the IP address nor the
email address is stored. Past a limit the form answers 429 with
`Retry-After`; the answer never says whether the address is on the list.
"""

from __future__ import annotations

from django.conf import settings

from core.client_address import address_digest
from core.counters import Throttled, count

WINDOW = 3600


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def check_signup(*, source: str, email: str) -> None:
    """Count one sign-up from `source` for `email`; `Throttled` past a limit.
    Every attempt counts, a malformed address too (the form is no free probe)."""
    total, left = count(
        f"nl:src:{address_digest(source, 'newsletter-source')}", window=WINDOW
    )
    if total > settings.NEWSLETTER_SIGNUPS_PER_SOURCE_PER_HOUR:
        raise Throttled(
            f"Too many sign-ups from your network. Try again in {_minutes(left)}.",
            retry_after=left,
        )
    address = (email or "").strip().lower()
    if not address:
        return
    total, left = count(
        f"nl:to:{address_digest(address, 'newsletter-target')}", window=WINDOW
    )
    if total > settings.NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR:
        raise Throttled(
            "This address was signed up too many times in a row. Check its "
            f"inbox for the confirmation link, or try again in {_minutes(left)}.",
            retry_after=left,
        )
