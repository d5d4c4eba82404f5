"""Channel credentials: encrypted at rest, rotatable, and never shown anywhere."""

from __future__ import annotations

import logging
import secrets

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection
from django.forms import modelform_factory
from rest_framework import serializers

from connections.api.serializers import ChannelAccountSerializer
from connections.models import ChannelAccount, MastodonApp
from core import crypto
from core.fields import REDACTED, Ciphertext, SecretDict
from tests.factories import ChannelAccountFactory, UserFactory

SECRET = "tok-" + "s3cr3t" * 6  # long and unmistakable in any output
OLD_KEY = secrets.token_urlsafe(32)
NEW_KEY = secrets.token_urlsafe(32)


def _raw(account: ChannelAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT credentials FROM {ChannelAccount._meta.db_table} WHERE id = %s",  # noqa: S608
            [account.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def account(tenant):
    return ChannelAccountFactory(
        workspace=tenant.workspace,
        credentials={"access_token": SECRET, "refresh_token": "r-" + SECRET},
    )


def test_credentials_round_trip(account):
    loaded = ChannelAccount.objects.get(pk=account.pk)
    assert isinstance(loaded.credentials, SecretDict)
    assert loaded.credentials == {
        "access_token": SECRET,
        "refresh_token": "r-" + SECRET,
    }


def test_account_without_credentials_stores_null(tenant):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    assert ChannelAccount.objects.get(pk=account.pk).credentials is None
    assert _raw(account) is None
    assert ChannelAccount.objects.filter(credentials__isnull=True).count() == 1


def test_ciphertext_in_the_database_contains_no_plaintext(account):
    raw = _raw(account)
    assert raw.startswith("enc1:")
    assert SECRET not in raw
    assert "access_token" not in raw
    assert crypto.token_key_id(raw) == crypto.keyring().current.key_id


def test_same_value_encrypts_differently_each_time(tenant):
    a = ChannelAccountFactory(workspace=tenant.workspace, credentials={"t": SECRET})
    b = ChannelAccountFactory(workspace=tenant.workspace, credentials={"t": SECRET})
    assert _raw(a) != _raw(b)


def test_rotation_with_two_keys_reads_old_and_writes_new(tenant, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    account = ChannelAccountFactory(
        workspace=tenant.workspace, credentials={"access_token": SECRET}
    )
    old_id = crypto.token_key_id(_raw(account))

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    loaded = ChannelAccount.objects.get(pk=account.pk)
    assert loaded.credentials["access_token"] == SECRET
    loaded.save()
    new_id = crypto.token_key_id(_raw(account))
    assert new_id != old_id
    assert new_id == crypto.keyring().current.key_id

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is retired
    assert ChannelAccount.objects.get(pk=account.pk).credentials == {
        "access_token": SECRET
    }


def test_wrong_key_gives_a_clear_error_without_the_value(account, settings):
    written_with = crypto.token_key_id(_raw(account))
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.UnknownKeyError) as excinfo:
        ChannelAccount.objects.get(pk=account.pk)
    message = str(excinfo.value)
    assert written_with in message
    assert "FIELD_ENCRYPTION_KEY" in message
    assert SECRET not in message
    assert NEW_KEY not in message


def test_modified_ciphertext_fails_authentication(account):
    raw = _raw(account)
    body = raw.rsplit(":", 1)[1]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    forged = raw.rsplit(":", 1)[0] + ":" + flipped
    ChannelAccount.objects.filter(pk=account.pk).update(credentials=Ciphertext(forged))
    with pytest.raises(crypto.DecryptionError, match="failed authentication"):
        ChannelAccount.objects.get(pk=account.pk)


def test_ciphertext_copied_to_another_field_does_not_decrypt(account):
    app = MastodonApp.objects.create(
        instance_url="https://example.social",
        redirect_uri="http://testserver/cb",
        scopes="read",
        client={"client_id": "x"},
    )
    MastodonApp.objects.filter(pk=app.pk).update(client=Ciphertext(_raw(account)))
    with pytest.raises(crypto.DecryptionError):
        MastodonApp.objects.get(pk=app.pk)


@pytest.mark.parametrize("keys", [[], ["short"]])
def test_missing_or_weak_keys_are_refused_by_name(tenant, settings, keys):
    settings.FIELD_ENCRYPTION_KEYS = keys
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        ChannelAccountFactory(workspace=tenant.workspace, credentials={"t": SECRET})


def test_filtering_on_credentials_is_refused(account):
    with pytest.raises(FieldError):
        ChannelAccount.objects.filter(credentials={"access_token": SECRET}).count()


def test_non_object_is_refused_without_echoing_it(tenant):
    with pytest.raises(TypeError) as excinfo:
        ChannelAccountFactory(workspace=tenant.workspace, credentials=[SECRET])
    assert SECRET not in str(excinfo.value)


def test_value_absent_from_repr_str_and_logs(account, caplog):
    loaded = ChannelAccount.objects.get(pk=account.pk)
    assert repr(loaded.credentials) == REDACTED
    assert str(loaded.credentials) == REDACTED
    assert f"{loaded.credentials}" == REDACTED
    for text in (repr(loaded), str(loaded), repr(vars(loaded))):
        assert SECRET not in text
    with caplog.at_level(logging.INFO):
        logging.getLogger("adloop.test").info("account %s: %s", loaded, vars(loaded))
        logging.getLogger("adloop.test").info("creds %r", loaded.credentials)
    assert SECRET not in caplog.text


def test_value_absent_from_model_forms_and_serializers(account):
    form_class = modelform_factory(ChannelAccount, fields="__all__")
    assert "credentials" not in form_class.base_fields

    class Everything(serializers.ModelSerializer):
        class Meta:
            model = ChannelAccount
            fields = "__all__"

    data = Everything(ChannelAccount.objects.get(pk=account.pk)).data
    assert SECRET not in str(data)
    assert "credentials" not in ChannelAccountSerializer.Meta.fields


def test_value_absent_from_admin_pages(account, client, static_files):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    for url in (
        "/admin/channels/channelaccount/",
        f"/admin/channels/channelaccount/{account.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
        assert _raw(account) not in response.content.decode()


def test_value_absent_from_api_list_and_detail(account, tenant, user_client):
    api = user_client(tenant.owner)
    for url in (
        "/api/v1/channel-accounts/",
        f"/api/v1/channel-accounts/{account.pk}/",
    ):
        response = api.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert account.name in body
        assert SECRET not in body
        assert "enc1:" not in body
        assert "credentials" not in body


def test_value_absent_from_the_channels_page(account, tenant, web):
    response = web(tenant.owner, tenant.workspace).get("/channels/")
    assert response.status_code == 200
    body = response.content.decode()
    assert account.name in body
    assert SECRET not in body
    assert "enc1:" not in body
