"""The account's part of `networks.base.ConnectorStore`: a network session
kept in the account's credentials (Bluesky), written under a row lock.

"Test connection" hands in `check_store()`: a check only signs in, so the
session is the one thing it may keep. The whole store, publications and the
newsletter's ledger included, is `publishing.connector_store` (publishing hands
it to the connectors it calls and reuses `account_session_save` from here).
"""

from __future__ import annotations

from django.db import transaction

from connections.models import ChannelAccount
from networks.base import MemoryStore


def account_session_save(
    account_id: int, session: dict[str, str], *, app_password: str
) -> None:
    """Under a row lock, and only while the stored app password is still
    the one the session was made with (a reconnect meanwhile wins)."""
    with transaction.atomic():
        current = (
            ChannelAccount.objects.select_for_update().filter(pk=account_id).first()
        )
        if current is None:
            return
        stored = dict(current.credentials or {})
        if str(stored.get("app_password") or "") != app_password:
            return  # reconnected with another password: not our session
        stored["session"] = session
        current.credentials = stored
        current.save(update_fields=["credentials"])


class CheckStore(MemoryStore):
    """The session goes to the database; anything else a connector might keep
    during a check stays in this object, which lives as long as the check."""

    def save_session(
        self, account_id: int, session: dict[str, str], *, app_password: str
    ) -> None:
        account_session_save(account_id, session, app_password=app_password)


def check_store() -> CheckStore:
    """A fresh store per check: nothing from one check is seen by another."""
    return CheckStore()
