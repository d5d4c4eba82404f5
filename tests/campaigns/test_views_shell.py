"""The layout, the dashboard, onboarding, the workspace switcher, error pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from campaigns.views import placeholders
from tests.factories import UserFactory, WorkspaceFactory
from workspaces.models import Membership, Organization, Role, Workspace

pytestmark = pytest.mark.usefixtures("static_files")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_renders_for_every_role(tenant, web, role):
    response = web(tenant.person(role)).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert tenant.workspace.name in body
    assert tenant.workspace.organization.name in body
    assert Role(role).label in body
    # Five people, one per role.
    assert response.context["members_count"] == 5


def test_dashboard_offers_next_steps_by_permission(tenant, web):
    owner_page = web(tenant.owner).get("/").content.decode()
    editor_page = web(tenant.editor).get("/").content.decode()
    assert reverse("api-keys") in owner_page
    assert "Invite your team" in owner_page
    assert reverse("api-keys") not in editor_page
    assert "Invite your team" not in editor_page


def test_layout_has_navigation_switcher_user_and_htmx(tenant, web):
    body = web(tenant.editor).get("/").content.decode()
    for label in ("Calendar", "Campaigns", "Content", "Channels", "Analytics"):
        assert label in body
    assert reverse("workspace-switch") in body
    assert tenant.editor.email in body
    assert reverse("logout") in body
    assert re.search(r'src="/static/vendor/htmx/htmx\.min\.\w+\.js"', body)
    assert '"X-CSRFToken"' in body  # HTMX sends the CSRF token on every request
    assert "cdn" not in body.lower()


def test_pages_link_hashed_css_and_scripts_that_are_served(tenant, web):
    client = web(tenant.owner)
    body = client.get("/").content.decode()
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', body)
    assert {u.rsplit("/", 1)[-1].split(".")[0] for u in urls} >= {"app", "htmx"}
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert finders.find("vendor/htmx/LICENSE")


@pytest.mark.parametrize("section", list(placeholders.UPCOMING))
def test_sections_not_built_yet_say_so(tenant, web, section):
    response = web(tenant.client).get(reverse(section))
    assert response.status_code == 200
    assert "Arrives soon" in response.content.decode()


def test_person_without_workspace_gets_onboarding(web):
    person = UserFactory()
    response = web(person).get("/")
    assert response.status_code == 200
    assert "Create your organization and first workspace" in response.content.decode()


def test_onboarding_creates_organization_and_workspace_owned_by_the_person(web):
    person = UserFactory()
    client = web(person)
    response = client.post(
        reverse("onboarding"),
        {
            "organization_name": "Acme Agency",
            "workspace_name": "Acme Shoes",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    workspace = Workspace.objects.get(name="Acme Shoes")
    assert workspace.time_zone == "Europe/Berlin"
    assert Membership.objects.get(user=person).role == Role.OWNER
    assert client.get("/").context["workspace"] == workspace


def test_onboarding_with_bad_input_keeps_what_was_typed(web):
    client = web(UserFactory())
    response = client.post(
        reverse("onboarding"),
        {"organization_name": "Acme Agency", "workspace_name": "", "time_zone": "Mars"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Acme Agency"' in body
    assert "This field is required." in body
    assert "Select a valid choice" in body
    assert not Organization.objects.filter(name="Acme Agency").exists()


def test_switching_to_a_second_workspace(tenant, web):
    second = WorkspaceFactory(name="Second brand")
    Membership.objects.create(
        user=tenant.editor,
        organization=second.organization,
        workspace=second,
        role=Role.REVIEWER,
    )
    client = web(tenant.editor, tenant.workspace)
    response = client.post(
        reverse("workspace-switch"),
        {"workspace_id": second.pk, "next": reverse("members")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members")
    assert client.session["workspace_id"] == second.pk
    assert client.get("/").context["workspace"] == second


def test_switching_to_another_tenants_workspace_is_404(tenant, other_tenant, web):
    client = web(tenant.owner, tenant.workspace)
    response = client.post(
        reverse("workspace-switch"), {"workspace_id": other_tenant.workspace.pk}
    )
    assert response.status_code == 404
    assert client.session["workspace_id"] == tenant.workspace.pk
    assert other_tenant.workspace.name not in response.content.decode()


def test_switch_ignores_an_offsite_next(tenant, web):
    client = web(tenant.owner)
    response = client.post(
        reverse("workspace-switch"),
        {"workspace_id": tenant.workspace.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("dashboard")


def test_switch_needs_post(tenant, web):
    response = web(tenant.owner).get(reverse("workspace-switch"))
    assert response.status_code == 405


def test_unknown_page_uses_the_friendly_404(tenant, web):
    response = web(tenant.owner).get("/no-such-page/")
    assert response.status_code == 404
    assert "This page doesn" in response.content.decode()


def test_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    assert "Something went wrong" in render_to_string("500.html")


def test_a_person_who_loses_every_workspace_lands_on_onboarding(tenant, web):
    client = web(tenant.editor, tenant.workspace)
    Membership.objects.filter(user=tenant.editor).delete()
    response = client.get("/")
    assert response.status_code == 200
    assert tenant.workspace.name not in response.content.decode()
    assert "Create your organization and first workspace" in response.content.decode()
    assert client.get(reverse("members")).status_code == 302  # back to onboarding
