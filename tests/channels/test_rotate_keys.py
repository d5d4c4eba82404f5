"""`manage.py rotate_encryption_keys`: every value onto the newest key, in
batches, idempotent, with counts; undecryptable values named, not fatal."""

from __future__ import annotations

import secrets
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from connections.models import ChannelAccount, MastodonApp
from core import crypto
from tests.factories import ChannelAccountFactory

OLD_KEY = secrets.token_urlsafe(32)
NEW_KEY = secrets.token_urlsafe(32)
LOST_KEY = secrets.token_urlsafe(32)


def _raw_key_ids(model, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} "  # noqa: S608
            f"WHERE {column} IS NOT NULL ORDER BY id"
        )
        return [crypto.token_key_id(row[0]) for row in cursor.fetchall()]


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_rows(tenant, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    accounts = [
        ChannelAccountFactory(
            workspace=tenant.workspace, credentials={"access_token": f"tok-{i}"}
        )
        for i in range(5)
    ]
    ChannelAccountFactory(workspace=tenant.workspace)  # no credentials: skipped
    MastodonApp.objects.create(
        instance_url="https://one.example",
        redirect_uri="http://testserver/cb",
        scopes="read",
        client={"client_id": "id", "client_secret": "secret"},
    )
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    return accounts


def test_rotation_moves_every_value_to_the_newest_key(old_rows, settings):
    new_id = crypto.keyring().current.key_id
    output = _rotate("--batch-size", "2")

    assert "channels.ChannelAccount.credentials: 5 scanned, 5 re-encrypted" in output
    assert "channels.MastodonApp.client: 1 scanned, 1 re-encrypted" in output
    assert "Total: 6 scanned, 6 re-encrypted, 0 already current, 0 failed" in output
    assert set(_raw_key_ids(ChannelAccount, "credentials")) == {new_id}
    assert set(_raw_key_ids(MastodonApp, "client")) == {new_id}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can now go
    tokens = sorted(
        a.credentials["access_token"]
        for a in ChannelAccount.objects.all()
        if a.credentials
    )
    assert tokens == [f"tok-{i}" for i in range(5)]
    assert MastodonApp.objects.get().client["client_secret"] == "secret"


def test_rotation_is_idempotent(old_rows):
    _rotate()
    output = _rotate()
    assert "Total: 6 scanned, 0 re-encrypted, 6 already current, 0 failed" in output


def test_dry_run_writes_nothing(old_rows):
    before = _raw_key_ids(ChannelAccount, "credentials")
    output = _rotate("--dry-run")
    assert "5 to re-encrypt" in output
    assert _raw_key_ids(ChannelAccount, "credentials") == before


def test_undecryptable_value_is_named_by_pk_and_the_rest_still_rotates(
    old_rows, tenant, settings
):
    settings.FIELD_ENCRYPTION_KEYS = [LOST_KEY]
    orphan = ChannelAccountFactory(
        workspace=tenant.workspace, credentials={"access_token": "orphan-secret"}
    )
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("rotate_encryption_keys", stdout=out)
    assert f"channels.ChannelAccount.credentials pk {orphan.pk}" in str(excinfo.value)
    assert "orphan-secret" not in str(excinfo.value) + out.getvalue()
    assert "5 re-encrypted" in out.getvalue()
    assert "1 failed" in out.getvalue()
