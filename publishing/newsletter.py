"""The newsletter audience: double opt-in subscriptions, unsubscribes, test mail.

- `subscriber_subscribe` adds (or re-activates) an address as `pending` and,
  after the commit, mails it a confirmation link through the account's own SMTP
  settings. The link is signed and expires (`CONFIRM_MAX_AGE`); only a SHA-256
  of its random part is stored, and sending a new link replaces the old one.
  Nobody receives a newsletter before clicking it (`confirmed`).
- `subscriber_confirm` and `subscriber_unsubscribe` are what the public pages
  call; they need no login: the token is the proof.
- Subscribing an address that is already confirmed changes nothing and says
  nothing different, so the public form does not reveal who is on the list.
- A pending address is mailed again only after `NEWSLETTER_RESEND_SECONDS`
  (`last_confirmation_sent_at`), whoever asks; the public form
  (`subscriber_signup`) is also limited per source and per target address
  (`publishing.newsletter_limits`), so nobody can flood an inbox through it.
- `email_send_test` sends one message with the account's settings (the
  "Send test" button).
- The audience as the workspace sees it (`audience_counts`, `subscribers_for`,
  `subscriber_add`, `subscriber_remove`): counts are for anyone who may view the
  workspace; the addresses themselves are personal data, shown only to those
  who may manage channels. Adding an address from the UI or the API still goes
  through double opt-in (it is `pending` until its owner confirms); removing one
  unsubscribes it and keeps the row, so it is never mailed again by accident.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from connections.models import AccountStatus, ChannelAccount, Network
from networks.base import ConnectorError
from networks.email.connector import EmailConnector
from networks.email.smtp import (
    close_connection,
    open_connection,
    smtp_error,
    smtp_settings,
)
from publishing import newsletter_limits
from publishing.models import Subscriber, SubscriberStatus
from workspaces.permissions import Action, can

logger = logging.getLogger("adloop.newsletter")

CONFIRM_SALT = "adloop.newsletter.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600


class InvalidToken(ValidationError):
    """A confirmation or unsubscribe link that is unknown, altered or expired."""


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def newsletter_account(account_id: int) -> ChannelAccount | None:
    """The email account a public form subscribes to; None when there is no such
    connected newsletter (the public pages answer 404)."""
    return ChannelAccount.objects.filter(
        pk=account_id, network=Network.EMAIL, status=AccountStatus.CONNECTED
    ).first()


def subscriber_subscribe(
    *, account: ChannelAccount, email: str, send: bool = True
) -> Subscriber:
    """Add `email` to the account's audience, pending until confirmed.

    Pending, unsubscribed or bounced addresses get a fresh confirmation link
    (someone who left may come back, but only by confirming again); a confirmed
    one is left as it is. Raises `ValidationError` for a bad address or a
    non-newsletter account.
    """
    if account.network != Network.EMAIL:
        raise ValidationError({"account": ["This channel is not a newsletter."]})
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(account=account, email__iexact=email)
            .first()
        )
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(
                        workspace_id=account.workspace_id,
                        account=account,
                        email=email,
                        unsubscribe_token=secrets.token_urlsafe(32),
                    )
            except IntegrityError:  # the same address subscribed at the same time
                subscriber = Subscriber.objects.get(
                    account=account, email__iexact=email
                )
        if subscriber.status == SubscriberStatus.CONFIRMED:
            return subscriber
        recently_mailed = (
            subscriber.status == SubscriberStatus.PENDING
            and _mailed_within_resend_window(subscriber)
        )
        if subscriber.status != SubscriberStatus.PENDING:
            Subscriber.objects.filter(pk=subscriber.pk).update(
                status=SubscriberStatus.PENDING, unsubscribed_at=None
            )
            subscriber.status = SubscriberStatus.PENDING
        if send and not recently_mailed:
            # Marked under the row lock, before the mail goes: of many requests
            # at once exactly one sends.
            subscriber.last_confirmation_sent_at = timezone.now()
            Subscriber.objects.filter(pk=subscriber.pk).update(
                last_confirmation_sent_at=subscriber.last_confirmation_sent_at
            )
            pk = subscriber.pk
            transaction.on_commit(lambda: _confirmation_send_safely(pk))
    return subscriber


def _mailed_within_resend_window(subscriber: Subscriber) -> bool:
    from django.conf import settings

    sent = subscriber.last_confirmation_sent_at
    if sent is None:
        return False
    return timezone.now() - sent < timedelta(seconds=settings.NEWSLETTER_RESEND_SECONDS)


def subscriber_signup(
    *, account: ChannelAccount, email: str, source: str
) -> Subscriber:
    """What the public sign-up form does: the abuse limits for `source` (the
    client address) and `email` first (`core.counters.Throttled`), then
    `subscriber_subscribe`."""
    newsletter_limits.check_signup(source=source, email=email)
    return subscriber_subscribe(account=account, email=email)


def _confirmation_send_safely(subscriber_id: int) -> None:
    # After the commit, in the request: a mail server that is down must not
    # undo the subscription (the person can submit the form again).
    try:
        subscriber_confirmation_send(subscriber_id=subscriber_id)
    except ConnectorError as exc:
        # Nothing went out: the person may ask again without waiting.
        Subscriber.objects.filter(pk=subscriber_id).update(
            last_confirmation_sent_at=None
        )
        logger.warning(
            "subscriber %s: confirmation not sent: %s %s",
            subscriber_id,
            exc.message,
            exc.detail,
        )


def confirmation_url(subscriber: Subscriber, nonce: str) -> str:
    from django.conf import settings

    token = signing.dumps({"s": subscriber.pk, "n": nonce}, salt=CONFIRM_SALT)
    return settings.SITE_URL + reverse("newsletter-confirm", args=[token])


def signup_url(account: ChannelAccount) -> str:
    """The public sign-up page of a newsletter, on SITE_URL like its mails."""
    from django.conf import settings

    return settings.SITE_URL + reverse("newsletter-subscribe", args=[account.pk])


def subscriber_confirmation_send(*, subscriber_id: int) -> bool:
    """Mail a pending subscriber a new confirmation link (the old one stops
    working). False when there is nothing to confirm; `ConnectorError` when the
    account's mail server fails."""
    subscriber = (
        Subscriber.objects.select_related("account")
        .filter(pk=subscriber_id, status=SubscriberStatus.PENDING)
        .first()
    )
    if subscriber is None:
        return False
    account = subscriber.account
    smtp = smtp_settings(account)
    nonce = secrets.token_urlsafe(24)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        confirm_token_hash=_hash(nonce), last_confirmation_sent_at=timezone.now()
    )
    link = confirmation_url(subscriber, nonce)
    message = EmailMultiAlternatives(
        subject=f"Confirm your subscription to {account.name}",
        body=(
            f"Someone (we hope you) asked to receive {account.name} at this "
            f"address.\n\nConfirm here: {link}\n\nIf it was not you, ignore this "
            "message: you will receive nothing.\n"
        ),
        from_email=smtp.from_address,
        to=[subscriber.email],
        reply_to=[smtp.reply_to] if smtp.reply_to else None,
    )
    backend = open_connection(smtp)
    try:
        backend.send_messages([message])
    except Exception as exc:
        raise smtp_error(exc, smtp) from exc
    finally:
        close_connection(backend)
    return True


def subscriber_confirm(*, token: str) -> Subscriber:
    """Confirm the subscription a link was sent for; `InvalidToken` otherwise.
    Clicking a link twice is fine (it stays confirmed)."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        pk, nonce = int(data["s"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidToken("This confirmation link is invalid or expired.") from None
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=pk).first()
        if subscriber is None:
            raise InvalidToken("This confirmation link is invalid or expired.")
        if subscriber.status == SubscriberStatus.CONFIRMED:
            return subscriber
        if subscriber.status != SubscriberStatus.PENDING or not hmac.compare_digest(
            subscriber.confirm_token_hash, _hash(nonce)
        ):
            raise InvalidToken("This confirmation link is invalid or expired.")
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.confirm_token_hash = ""
        subscriber.save(update_fields=["status", "confirmed_at", "confirm_token_hash"])
    return subscriber


def subscriber_by_unsubscribe_token(token: str) -> Subscriber | None:
    if not token or len(token) > 64:
        return None
    return (
        Subscriber.objects.select_related("account")
        .filter(unsubscribe_token=token)
        .first()
    )


def subscriber_unsubscribe(*, token: str) -> Subscriber:
    """Unsubscribe the owner of an unsubscribe token, at once and for good (until
    they subscribe and confirm again). Idempotent; `InvalidToken` if unknown."""
    subscriber = subscriber_by_unsubscribe_token(token)
    if subscriber is None:
        raise InvalidToken("This unsubscribe link is invalid.")
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        now = timezone.now()
        Subscriber.objects.filter(pk=subscriber.pk).exclude(
            status=SubscriberStatus.UNSUBSCRIBED
        ).update(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=now)
        subscriber.refresh_from_db()
    return subscriber


def email_send_test(*, account: ChannelAccount, to: str, by: Any) -> str:
    """Send one test message to `to` with the account's SMTP settings (the
    "Send test" button); the Message-ID. `ConnectorError` says what failed."""
    if by is None or not can(by, Action.MANAGE_CHANNELS, account.workspace):
        raise PermissionDenied("Your role does not allow this.")
    if account.network != Network.EMAIL:
        raise ValidationError({"account": ["This channel is not a newsletter."]})
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": ["Enter a valid email address."]}) from None
    return EmailConnector().send_test(account, to=to)


FORBIDDEN = "Your role does not allow managing this newsletter's audience."


def _require_manage(by: Any, account: ChannelAccount) -> None:
    if by is None or not can(by, Action.MANAGE_CHANNELS, account.workspace):
        raise PermissionDenied(FORBIDDEN)
    if account.network != Network.EMAIL:
        raise ValidationError({"account": ["This channel is not a newsletter."]})


def audience_counts(account_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Subscribers per status for each email account, every status present."""
    counts = {pk: dict.fromkeys(SubscriberStatus.values, 0) for pk in account_ids}
    rows = (
        Subscriber.objects.filter(account_id__in=list(counts))
        .values("account_id", "status")
        .annotate(n=Count("pk"))
        .values_list("account_id", "status", "n")
    )
    for account_id, status, n in rows:
        counts[account_id][status] = n
    return counts


def subscribers_for(
    account: ChannelAccount, *, by: Any, status: str = "", search: str = ""
) -> QuerySet[Subscriber]:
    """The account's subscribers, newest first (managers only)."""
    _require_manage(by, account)
    rows = Subscriber.objects.filter(account=account)
    if status:
        if status not in SubscriberStatus.values:
            choices = ", ".join(SubscriberStatus.values)
            raise ValidationError({"status": [f"Choose one of: {choices}."]})
        rows = rows.filter(status=status)
    if search.strip():
        rows = rows.filter(email__icontains=search.strip())
    return rows.order_by("-created_at", "-pk")


def subscriber_add(*, account: ChannelAccount, email: str, by: Any) -> Subscriber:
    """Add an address for its owner to confirm (a confirmation mail is sent; a
    confirmed address is left as it is). Double opt-in holds for imports too."""
    _require_manage(by, account)
    if account.status != AccountStatus.CONNECTED or not account.credentials:
        raise ValidationError(
            {"account": ["Connect this newsletter before adding subscribers."]}
        )
    return subscriber_subscribe(account=account, email=email)


def subscriber_remove(*, subscriber: Subscriber, by: Any) -> Subscriber:
    """Unsubscribe an address on its owner's request; the row stays (see the
    module docstring). Idempotent."""
    _require_manage(by, subscriber.account)
    return subscriber_unsubscribe(token=subscriber.unsubscribe_token)
