"""What a channel account going away means for its publications.

`connections` sits below publishing, so it cannot cancel publications itself:
`connections.accounts.account_disconnect` calls the listener registered here
(from `PublishingConfig.ready`) inside its own transaction, and the disconnect
confirmation page asks `scheduled_count` what it would cancel.
"""

from __future__ import annotations

from connections.models import ChannelAccount
from publishing.delivery import CANCELABLE, publication_move
from publishing.models import Publication
from publishing.models import PublicationStatus as PS


def publications_cancel_for_account(account: ChannelAccount, reason: str) -> list[int]:
    """Cancel the account's publications no worker has sent, with `reason` as
    their error. Returns the ids that were canceled."""
    ids = list(
        Publication.objects.filter(account=account, status__in=CANCELABLE).values_list(
            "pk", flat=True
        )
    )
    return publication_move(
        ids,
        to=PS.CANCELED,
        sources=CANCELABLE,
        error=reason,
        error_kind="disconnected",
    )


def scheduled_count(account: ChannelAccount) -> int:
    """How many scheduled or queued publications the confirmation warns about."""
    return Publication.objects.filter(
        account=account, status__in=[PS.SCHEDULED, PS.QUEUED]
    ).count()
