"""/api/v1/organizations/: the caller's organizations; people create, keys cannot."""

from __future__ import annotations

from tests.factories import UserFactory
from workspaces.models import ApiKeyScope, Membership, Organization, Role

URL = "/api/v1/organizations/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_lists_only_the_callers_organizations(tenant, other_tenant, user_client):
    response = user_client(tenant.editor).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [o["id"] for o in body["results"]] == [tenant.workspace.organization_id]
    assert body["results"][0]["slug"] == tenant.workspace.organization.slug


def test_a_key_sees_its_own_organization(tenant, other_tenant, key_client):
    response = key_client(tenant.workspace, ApiKeyScope.READ).get(URL)
    assert [o["id"] for o in response.json()["results"]] == [
        tenant.workspace.organization_id
    ]


def test_another_organization_answers_404(tenant, other_tenant, user_client):
    other = other_tenant.workspace.organization_id
    error = _error(user_client(tenant.owner).get(f"{URL}{other}/"), 404)
    assert error["code"] == "not_found"


def test_a_person_creates_an_organization_and_owns_it(db, user_client):
    person = UserFactory()
    response = user_client(person).post(URL, {"name": " Northwind "}, format="json")
    assert response.status_code == 201, response.content
    org = Organization.objects.get(pk=response.json()["id"])
    assert org.name == "Northwind"
    assert response.json()["slug"] == "northwind"
    assert Membership.objects.get(user=person, organization=org).role == Role.OWNER


def test_a_taken_slug_answers_400_and_creates_nothing(tenant, user_client):
    taken = tenant.workspace.organization.slug
    before = Organization.objects.count()
    response = user_client(tenant.owner).post(
        URL, {"name": "X", "slug": taken}, format="json"
    )
    assert "slug" in _error(response, 400)["fields"]
    assert Organization.objects.count() == before


def test_an_api_key_cannot_create_an_organization(tenant, key_client):
    before = Organization.objects.count()
    response = key_client(tenant.workspace, ApiKeyScope.WRITE).post(
        URL, {"name": "Spawned"}, format="json"
    )
    assert _error(response, 403)["code"] == "permission_denied"
    assert Organization.objects.count() == before


def test_organizations_are_read_only_after_creation(tenant, user_client):
    org = tenant.workspace.organization_id
    response = user_client(tenant.owner).delete(f"{URL}{org}/")
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert Organization.objects.filter(pk=org).exists()
