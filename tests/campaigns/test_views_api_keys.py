"""API keys: owners and admins only; the secret is shown once and stored hashed."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from tests.factories import api_key
from workspaces.models import ApiKey, ApiKeyScope, Role

pytestmark = pytest.mark.usefixtures("static_files")


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_see_the_keys_page(tenant, web, role):
    response = web(tenant.person(role)).get(reverse("api-keys"))
    assert response.status_code == 200
    assert "No keys yet." in response.content.decode()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_others_get_403_on_every_key_page(tenant, web, role):
    _, key = api_key(tenant.workspace)
    client = web(tenant.person(role))
    assert client.get(reverse("api-keys")).status_code == 403
    response = client.post(reverse("api-key-create"), {"name": "x", "scope": "read"})
    assert response.status_code == 403
    assert client.post(reverse("api-key-revoke", args=[key.pk])).status_code == 403
    assert ApiKey.objects.count() == 1
    key.refresh_from_db()
    assert key.is_active


def test_secret_is_shown_once_and_only_its_hash_is_stored(tenant, web):
    client = web(tenant.admin, tenant.workspace)
    response = client.post(
        reverse("api-key-create"), {"name": "Reporting", "scope": "write"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["issued"].secret
    assert secret.startswith("adl_")
    assert secret in response.content.decode()
    assert "shown only this once" in response.content.decode()

    key = ApiKey.objects.get(name="Reporting")
    assert (key.workspace, key.scope, key.created_by) == (
        tenant.workspace,
        ApiKeyScope.WRITE,
        tenant.admin,
    )
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiKey.objects.filter(pk=key.pk).values().get().values()]
    assert secret not in stored

    listing = client.get(reverse("api-keys")).content.decode()
    assert secret not in listing
    assert f"adl_{key.prefix}_" in listing  # the public prefix tells keys apart
    assert "Reporting" in listing


def test_htmx_create_swaps_only_the_panel(tenant, web):
    response = web(tenant.owner).post(
        reverse("api-key-create"),
        {"name": "From HTMX", "scope": "read"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="keys-panel"')
    assert response.context["issued"].secret in body


def test_bad_input_keeps_the_data_and_shows_errors(tenant, web):
    response = web(tenant.owner).post(
        reverse("api-key-create"), {"name": "Kept", "scope": "admin"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Kept"' in body
    assert "Select a valid choice" in body
    assert not ApiKey.objects.exists()


def test_blank_name_error_from_the_form(tenant, web):
    response = web(tenant.owner).post(
        reverse("api-key-create"), {"name": "", "scope": "read"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"]


def test_revoke_a_key(tenant, web):
    _, key = api_key(tenant.workspace)
    response = web(tenant.admin).post(reverse("api-key-revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active


def test_workspace_admin_cannot_revoke_an_organization_wide_key(tenant, web):
    _, org_key = api_key(organization=tenant.workspace.organization)
    client = web(tenant.admin)
    assert "Whole organization" in client.get(reverse("api-keys")).content.decode()
    assert client.post(reverse("api-key-revoke", args=[org_key.pk])).status_code == 403
    assert web(tenant.owner).post(
        reverse("api-key-revoke", args=[org_key.pk])
    ).status_code == (302)
    org_key.refresh_from_db()
    assert not org_key.is_active


def test_keys_of_another_workspace_are_404_and_never_listed(tenant, other_tenant, web):
    _, foreign = api_key(other_tenant.workspace)
    client = web(tenant.owner, tenant.workspace)
    response = client.post(reverse("api-key-revoke", args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active
    assert foreign.prefix not in client.get(reverse("api-keys")).content.decode()
