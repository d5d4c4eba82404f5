"""Workspace settings: everyone reads them, owners and admins change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
EDITORS = [Role.OWNER, Role.ADMIN]
READERS = [Role.EDITOR, Role.REVIEWER, Role.CLIENT]


@pytest.mark.parametrize("role", EDITORS)
def test_managers_get_an_editable_form(tenant, web, role):
    response = web(tenant.person(role)).get(reverse("workspace-settings"))
    assert response.status_code == 200
    assert response.context["may_edit"] is True
    assert "Save changes" in response.content.decode()


@pytest.mark.parametrize("role", READERS)
def test_others_read_the_settings_without_a_form_to_send(tenant, web, role):
    response = web(tenant.person(role)).get(reverse("workspace-settings"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Save changes" not in body
    assert "you can read them" in body
    assert response.context["form"].fields["name"].disabled


@pytest.mark.parametrize("role", READERS)
def test_others_cannot_post_changes(tenant, web, role):
    response = web(tenant.person(role)).post(
        reverse("workspace-settings"),
        {"name": "Hijacked", "time_zone": "UTC"},
    )
    assert response.status_code == 403
    assert "do that here" in response.content.decode()
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.name != "Hijacked"


def test_admin_saves_the_settings(tenant, web):
    response = web(tenant.admin).post(
        reverse("workspace-settings"),
        {"name": "Renamed", "time_zone": "America/New_York"},  # unchecked box
    )
    assert response.status_code == 302
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.name == "Renamed"
    assert tenant.workspace.time_zone == "America/New_York"
    assert tenant.workspace.approval_required is False


def test_bad_input_keeps_the_data_and_shows_errors(tenant, web):
    response = web(tenant.owner).post(
        reverse("workspace-settings"),
        {"name": "Kept name", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Kept name"' in body
    assert "Select a valid choice" in body
    tenant.workspace.refresh_from_db()
    assert tenant.workspace.name != "Kept name"


def test_a_service_validation_error_lands_on_its_field(tenant, web):
    response = web(tenant.owner).post(
        reverse("workspace-settings"), {"name": "   ", "time_zone": "UTC"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"]


def test_the_settings_of_another_tenant_are_never_shown(tenant, other_tenant, web):
    # The page shows the current workspace only; a foreign id in the session
    # is ignored by the middleware (it falls back to a visible workspace).
    client = web(tenant.owner, other_tenant.workspace)
    response = client.get(reverse("workspace-settings"))
    assert response.status_code == 200
    assert other_tenant.workspace.name not in response.content.decode()
    assert response.context["form"].initial["name"] == tenant.workspace.name
