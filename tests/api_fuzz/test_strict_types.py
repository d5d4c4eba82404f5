"""Wrongly typed JSON is a 400 naming the field, never coerced.

DRF reads `{"enabled": 0}` as false and `{"default_cta": 0}` as "0"; the
README promises 400 for wrong types, so every input serializer checks them.
"""

from __future__ import annotations

import pytest

from campaigns.models import BrandProfile
from connections.models import ChannelAccount
from tests.factories import BrandProfileFactory, ChannelAccountFactory
from workspaces.models import ApiKeyScope, Workspace


def _refused(response, field: str, message: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {field: [message]}


@pytest.mark.parametrize("value", [0, 1, "true", "false", [], {}])
def test_a_channel_refuses_a_non_boolean_enabled(tenant, user_client, value):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    response = user_client(tenant.owner).patch(
        f"/api/v1/channels/{account.pk}/", {"enabled": value}, format="json"
    )
    _refused(response, "enabled", "Must be a valid boolean.")
    assert ChannelAccount.objects.get(pk=account.pk).status == account.status


@pytest.mark.parametrize("value", [0, "no", None])
def test_a_workspace_refuses_a_non_boolean_approval_required(
    tenant, user_client, value
):
    response = user_client(tenant.owner).patch(
        f"/api/v1/workspaces/{tenant.workspace.pk}/",
        {"approval_required": value},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["approval_required"]
    ws = Workspace.objects.get(pk=tenant.workspace.pk)
    assert ws.approval_required == tenant.workspace.approval_required


@pytest.mark.parametrize("value", [0, 1.5, True, ["a"], {"a": "b"}])
def test_a_brand_refuses_a_non_string_default_cta(tenant, key_client, value):
    brand = BrandProfileFactory(workspace=tenant.workspace)
    before = brand.default_cta
    client = key_client(tenant.workspace, ApiKeyScope.WRITE)
    response = client.patch(
        f"/api/v1/brands/{brand.pk}/", {"default_cta": value}, format="json"
    )
    _refused(response, "default_cta", "Not a valid string.")
    assert BrandProfile.objects.get(pk=brand.pk).default_cta == before


def test_list_items_and_numbers_are_checked_too(tenant, key_client):
    brand = BrandProfileFactory(workspace=tenant.workspace)
    client = key_client(tenant.workspace, ApiKeyScope.WRITE)
    response = client.patch(
        f"/api/v1/brands/{brand.pk}/", {"do_words": ["ok", 3]}, format="json"
    )
    _refused(response, "do_words", "Item 2: Not a valid string.")


def test_the_right_types_still_pass(tenant, user_client, key_client):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    response = user_client(tenant.owner).patch(
        f"/api/v1/channels/{account.pk}/", {"enabled": False}, format="json"
    )
    assert response.status_code == 200, response.content
    brand = BrandProfileFactory(workspace=tenant.workspace)
    client = key_client(tenant.workspace, ApiKeyScope.WRITE)
    response = client.patch(
        f"/api/v1/brands/{brand.pk}/", {"default_cta": "Book now"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert BrandProfile.objects.get(pk=brand.pk).default_cta == "Book now"
