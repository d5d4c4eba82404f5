"""A workspace is named by its id or its slug everywhere in the API: in URLs,
in a body's `workspace` field and in `?workspace=` filters, through one helper
(`workspaces.api.workspace_refs`). Another tenant's id or slug reads exactly like
one that does not exist: 404 in a URL, "No such workspace." in a body field, an
empty list in a filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.content.media import image_bytes, media_root
from tests.factories import (
    BrandProfileFactory,
    CampaignFactory,
    PostFactory,
    UserFactory,
    WorkspaceFactory,
    api_key,
)
from workspaces.api.workspace_refs import find_workspace
from workspaces.models import Workspace
from workspaces.services.tenancy import workspace_create

__all__ = ["media_root"]  # fixture


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


# --- the helper ----------------------------------------------------------------


def test_find_workspace_reads_digits_as_an_id_and_the_rest_as_a_slug(tenant) -> None:
    ws = tenant.workspace
    every = Workspace.objects.all()
    assert find_workspace(ws.pk, every) == ws
    assert find_workspace(str(ws.pk), every) == ws
    assert find_workspace(f" {ws.slug} ", every) == ws
    for nothing in ("", "nope", "²", True, None, [ws.pk], 999_999):
        assert find_workspace(nothing, every) is None
    # Only among the given workspaces: the caller's visible ones.
    assert find_workspace(ws.slug, Workspace.objects.exclude(pk=ws.pk)) is None


def test_an_old_all_digit_slug_is_found_unless_an_id_wins(tenant) -> None:
    numbered = WorkspaceFactory(slug="424242")
    every = Workspace.objects.all()
    assert find_workspace("424242", every) == numbered
    clash = WorkspaceFactory(slug=str(tenant.workspace.pk))
    assert find_workspace(str(tenant.workspace.pk), every) == tenant.workspace
    assert find_workspace(clash.slug, every.exclude(pk=tenant.workspace.pk)) == clash


def test_new_slugs_are_never_a_number_alone(tenant) -> None:
    org = tenant.workspace.organization
    made = workspace_create(organization=org, name="2026")
    assert made.slug == "workspace-2026"
    with pytest.raises(ValidationError) as caught:
        workspace_create(organization=org, name="Year", slug="2027")
    assert "a number alone" in caught.value.message_dict["slug"][0]


def test_the_api_refuses_a_number_as_a_new_slug(tenant, user_client) -> None:
    answer = user_client(tenant.owner).post(
        "/api/v1/workspaces/",
        {"organization": tenant.workspace.organization_id, "name": "Y", "slug": "12"},
        format="json",
    )
    assert "a number alone" in _error(answer, 400)["fields"]["slug"][0]


# --- URLs ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "ai-spend/"])
def test_a_workspace_url_takes_the_id_or_the_slug(
    tenant, other_tenant, user_client, suffix
):
    client = user_client(tenant.client)
    ws = tenant.workspace
    by_id = client.get(f"/api/v1/workspaces/{ws.pk}/{suffix}")
    by_slug = client.get(f"/api/v1/workspaces/{ws.slug}/{suffix}")
    assert by_id.status_code == by_slug.status_code == 200, by_slug.content
    assert by_id.json() == by_slug.json()
    foreign = other_tenant.workspace
    answers = [
        client.get(f"/api/v1/workspaces/{name}/{suffix}")
        for name in (foreign.slug, foreign.pk, "no-such-slug", 999_999, "9" * 30)
    ]
    # Another tenant's workspace reads exactly like one that does not exist.
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1


def test_settings_change_by_slug_with_the_same_rights(
    tenant, other_tenant, user_client
):
    ws = tenant.workspace
    url = f"/api/v1/workspaces/{ws.slug}/"
    changed = user_client(tenant.admin).patch(url, {"name": "Renamed"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["slug"] == ws.slug
    ws.refresh_from_db()
    assert ws.name == "Renamed"
    refused = user_client(tenant.editor).patch(url, {"name": "No"}, format="json")
    assert refused.status_code == 403
    foreign = user_client(tenant.owner).patch(
        f"/api/v1/workspaces/{other_tenant.workspace.slug}/",
        {"name": "Mine now"},
        format="json",
    )
    assert foreign.status_code == 404
    other_tenant.workspace.refresh_from_db()
    assert other_tenant.workspace.name != "Mine now"


def test_an_api_key_reaches_its_workspace_by_slug_only(
    tenant, other_tenant, api_client
):
    secret, _ = api_key(tenant.workspace, "read")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    mine = api_client.get(f"/api/v1/workspaces/{tenant.workspace.slug}/")
    assert mine.status_code == 200 and mine.json()["id"] == tenant.workspace.pk
    theirs = api_client.get(f"/api/v1/workspaces/{other_tenant.workspace.slug}/")
    assert theirs.status_code == 404


# --- body fields ---------------------------------------------------------------

BODY_URLS = [
    "/api/v1/api-keys/",
    "/api/v1/brands/",
    "/api/v1/campaigns/",
    "/api/v1/channels/",
    "/api/v1/invitations/",
    "/api/v1/members/",
]


def _bodies(tenant) -> dict[str, dict]:
    """Every create that names a workspace, without the `workspace` itself."""
    today = timezone.localdate()
    brand = BrandProfileFactory(workspace=tenant.workspace)
    return {
        "/api/v1/brands/": {"name": "Contoso"},
        "/api/v1/campaigns/": {
            "brand": brand.pk,
            "name": "Spring",
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=30)).isoformat(),
        },
        "/api/v1/api-keys/": {"name": "Dash", "scope": "read"},
        "/api/v1/invitations/": {"email": "new@example.test", "role": "client"},
        "/api/v1/members/": {"email": UserFactory().email, "role": "editor"},
        "/api/v1/channels/": {
            "network": "webhook",
            "name": "Zapier",
            "url": "https://hooks.example.com/adloop",
            "secret": "s" * 32,
        },
    }


def _api_modules() -> list:  # type: ignore[type-arg]
    import importlib
    import pkgutil

    found = []
    for package in (
        "workspaces.api",
        "connections.api",
        "campaigns.api",
        "content.api",
        "publishing.api",
        "workflow.api",
    ):
        root = importlib.import_module(package)
        for info in pkgutil.iter_modules(root.__path__):
            found.append(importlib.import_module(f"{package}.{info.name}"))
    return found


def test_every_workspace_field_and_filter_is_the_one_class() -> None:
    """A sweep of the API modules: each `workspace` write field is a
    `WorkspaceField`, each `workspace` filter a `WorkspaceFilter`; the body
    fields found are exactly the creates tested below."""
    import inspect

    from django_filters.filterset import BaseFilterSet

    from core.api.common import StrictSerializer
    from workspaces.api.workspace_refs import WorkspaceField, WorkspaceFilter

    fields, filtersets = set(), set()
    for module in _api_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            if issubclass(cls, StrictSerializer):  # the input serializers
                field = cls._declared_fields.get("workspace")
                if field is not None and not field.read_only:
                    assert isinstance(field, WorkspaceField), cls
                    fields.add(cls.__name__)
            elif issubclass(cls, BaseFilterSet) and "workspace" in cls.base_filters:
                assert isinstance(cls.base_filters["workspace"], WorkspaceFilter), cls
                filtersets.add(cls.__name__)
    assert fields == {
        "BrandCreateSerializer",
        "CampaignCreateSerializer",
        "ApiKeyCreateSerializer",
        "InvitationCreateSerializer",
        "MembershipCreateSerializer",
        "ChannelCreateSerializer",
        "AssetUploadSerializer",
    }
    # Assets filter in the view; channel-accounts, the alias of channels, uses
    # the channels filter.
    assert len(filtersets) == len(FILTERED) - 2


@pytest.mark.parametrize("url", BODY_URLS)
def test_a_body_names_the_workspace_by_id_or_slug(
    tenant, other_tenant, user_client, url
):
    client = user_client(tenant.owner)
    body = _bodies(tenant)[url]
    foreign = other_tenant.workspace
    for name in (foreign.slug, foreign.pk, str(foreign.pk), "no-such", 999_999):
        refused = client.post(url, {**body, "workspace": name}, format="json")
        assert _error(refused, 400)["fields"]["workspace"] == ["No such workspace."]
    for odd in (True, [tenant.workspace.pk], {"id": 1}):
        refused = client.post(url, {**body, "workspace": odd}, format="json")
        assert _error(refused, 400)["fields"]["workspace"] == [
            "Give a workspace id or slug."
        ]
    made = client.post(url, {**body, "workspace": tenant.workspace.slug}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["workspace"] == tenant.workspace.pk


def test_a_key_create_by_id_still_works(tenant, user_client) -> None:
    made = user_client(tenant.owner).post(
        "/api/v1/api-keys/",
        {"name": "By id", "scope": "read", "workspace": str(tenant.workspace.pk)},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["workspace"] == tenant.workspace.pk


def test_an_upload_names_the_workspace_by_slug(
    tenant, other_tenant, user_client, media_root
):
    client = user_client(tenant.editor)

    def upload(name: object):
        file = SimpleUploadedFile("p.png", image_bytes((32, 32)))
        return client.post(
            "/api/v1/assets/", {"workspace": name, "file": file}, format="multipart"
        )

    assert upload(tenant.workspace.slug).status_code == 201
    refused = upload(other_tenant.workspace.slug)
    assert _error(refused, 400)["fields"]["workspace"] == ["No such workspace."]


# --- filters -------------------------------------------------------------------

FILTERED = [
    "/api/v1/api-keys/",
    "/api/v1/assets/",
    "/api/v1/brands/",
    "/api/v1/campaigns/",
    "/api/v1/channel-accounts/",
    "/api/v1/channels/",
    "/api/v1/generations/",
    "/api/v1/invitations/",
    "/api/v1/jobs/",
    "/api/v1/members/",
    "/api/v1/posts/",
    "/api/v1/publications/",
    "/api/v1/variants/",
]
# Where the data below puts rows in both of the owner's workspaces.
WITH_ROWS = {
    "/api/v1/api-keys/",
    "/api/v1/brands/",
    "/api/v1/campaigns/",
    "/api/v1/channel-accounts/",
    "/api/v1/channels/",
    "/api/v1/posts/",
}


@pytest.mark.parametrize("url", FILTERED)
def test_a_filter_names_the_workspace_by_id_or_slug(
    tenant, other_tenant, user_client, url
):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    for ws in (tenant.workspace, sibling, other_tenant.workspace):
        PostFactory(campaign=CampaignFactory(workspace=ws, channels=1))
        api_key(ws, "read")
    client = user_client(tenant.owner)  # organization-wide: sees both of ours

    def ids(name: object) -> list[int]:
        answer = client.get(url, {"workspace": name, "limit": 200})
        assert answer.status_code == 200, answer.content
        return sorted(row["id"] for row in answer.json()["results"])

    mine = ids(tenant.workspace.slug)
    assert mine == ids(tenant.workspace.pk)
    if url in WITH_ROWS:
        assert mine and ids(sibling.slug) and not set(mine) & set(ids(sibling.pk))
    for foreign in (other_tenant.workspace.slug, other_tenant.workspace.pk, "nope"):
        assert ids(foreign) == []


def test_the_csv_import_names_the_workspace_by_id_or_slug(
    tenant, other_tenant, user_client
):
    CampaignFactory(workspace=tenant.workspace, name="Spring")
    client = user_client(tenant.editor)
    csv = b"campaign,topic\nSpring,Roast day\n"

    def send(name: object):
        return client.generic(
            "POST",
            f"/api/v1/posts/import/?workspace={name}",
            csv,
            content_type="text/csv",
        )

    for name in (tenant.workspace.slug, tenant.workspace.pk):
        answer = send(name)
        assert answer.status_code == 201, answer.content
    for name in (other_tenant.workspace.slug, other_tenant.workspace.pk):
        assert _error(send(name), 400)["fields"]["workspace"] == ["No such workspace."]


def test_the_schema_documents_ids_and_slugs(client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    path = schema["paths"]["/api/v1/workspaces/{id}/"]
    [param] = [p for p in path["get"]["parameters"] if p["name"] == "id"]
    assert param["schema"]["type"] == "string" and "slug" in param["description"]
    [spend] = [
        p
        for p in schema["paths"]["/api/v1/workspaces/{id}/ai-spend/"]["get"][
            "parameters"
        ]
        if p["name"] == "id"
    ]
    assert spend["schema"]["type"] == "string"
    components = schema["components"]["schemas"]
    field = components["ApiKeyCreateRequest"]["properties"]["workspace"]
    assert {"type": "integer"} in field["oneOf"] and {"type": "string"} in field[
        "oneOf"
    ]
    posts = schema["paths"]["/api/v1/posts/"]["get"]["parameters"]
    [flt] = [p for p in posts if p["name"] == "workspace"]
    assert "slug" in flt["description"]


def test_create_api_key_takes_the_id_too(tenant) -> None:
    from io import StringIO

    from django.core.management import call_command

    from workspaces.models import ApiKey

    out = StringIO()
    call_command(
        "create_api_key", str(tenant.workspace.pk), stdout=out, stderr=StringIO()
    )
    assert out.getvalue().strip()
    assert ApiKey.objects.get(workspace=tenant.workspace).name == "command line"
