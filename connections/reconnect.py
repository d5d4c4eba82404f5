"""The one rule for taking a channel account out of publishing because its
credentials were refused, and the email that says so.

Three places learn that a network refused an account's credentials: a publish
(`ConnectorError.reconnect`), a token refresh (`invalid_grant`, Graph error 190)
and Test connection. Each of them read the account, made a network call that
may take many seconds, and only then heard the answer. Meanwhile someone may
have reconnected the account (new credentials, a new `connected_at`), another
refresh may have rotated its tokens, or it may already be marked. An answer
about the old credentials must not undo that, so the mark is fenced: it lands
only while the row still holds the status, the `connected_at` and the
credentials the caller used. Once marked, the workspace's owners and admins
hear of it once, by a worker, after the commit (a broker that is down costs
the email, never the mark or the request).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from connections.models import AccountStatus, ChannelAccount
from workspaces.models import Membership, Role

logger = logging.getLogger("adloop.channels")


def account_mark_needs_reconnect(*, account: ChannelAccount, message: str) -> bool:
    """Mark `account` (as the caller read it before its network call) as
    needing reconnection, with `message` for a person (never a token).

    Returns True if this call moved it; False if the row has changed since the
    caller read it (reconnected, tokens rotated, disconnected, already marked),
    in which case nothing is written and nobody is emailed.
    """
    with transaction.atomic():
        current = (
            ChannelAccount.objects.select_for_update()
            .filter(
                pk=account.pk,
                status=AccountStatus.CONNECTED,
                connected_at=account.connected_at,
            )
            .first()
        )
        # Credentials are encrypted at rest, so they are compared here, under
        # the row lock, rather than in the UPDATE's WHERE.
        if current is None or current.credentials != account.credentials:
            return False
        ChannelAccount.objects.filter(pk=account.pk).update(
            status=AccountStatus.NEEDS_RECONNECT,
            last_error=message[:2000],
            last_checked_at=timezone.now(),
        )
        transaction.on_commit(lambda: _notify(account.pk), robust=True)
    logger.warning("channel account %s needs reconnecting: %s", account.pk, message)
    return True


def _notify(account_id: int) -> None:
    from connections.tasks import notify_account_needs_reconnect

    try:
        notify_account_needs_reconnect.delay(account_id)
    except Exception:  # the email is a courtesy; the status is already recorded
        logger.exception("channel account %s: reconnect notice not queued", account_id)


def account_reconnect_notice_send(*, account_id: int) -> int:
    """Email the workspace's owners and admins that an account needs
    reconnecting. Returns the number of recipients (0: nothing to say)."""
    from django.core.mail import send_mail

    account = (
        ChannelAccount.objects.select_related("workspace__organization")
        .filter(pk=account_id, status=AccountStatus.NEEDS_RECONNECT)
        .first()
    )
    if account is None:
        return 0
    workspace = account.workspace
    emails = sorted(
        set(
            Membership.objects.filter(
                Q(workspace=workspace)
                | Q(workspace__isnull=True, organization_id=workspace.organization_id),
                role__in=[Role.OWNER, Role.ADMIN],
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    if not emails:
        return 0
    send_mail(
        subject=f"Reconnect {account.name} ({account.get_network_display()}) on AdLoop",
        message=(
            f"AdLoop can no longer publish to {account} in {workspace}.\n\n"
            f"{account.last_error}\n\n"
            "Scheduled posts to this account will wait until it is reconnected:\n"
            f"{settings.SITE_URL}{reverse('channels')}\n"
        ),
        from_email=None,
        recipient_list=emails,
    )
    return len(emails)
