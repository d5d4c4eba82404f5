"""What the schemathesis run in this folder found, each pinned by a test."""

from __future__ import annotations

import re

import pytest

from tests.factories import CampaignFactory
from workspaces.models import ApiKeyScope


@pytest.mark.parametrize(
    "url", ["/api/v1/posts/import/", "/api/v1/posts/", "/api/v1/workspaces/"]
)
def test_options_answers_405_with_the_real_methods_never_500(tenant, key_client, url):
    # PostImportViewSet has no serializer: DRF's OPTIONS description was a 500.
    response = key_client(tenant.workspace, ApiKeyScope.WRITE).options(url)
    assert response.status_code == 405, response.content
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "OPTIONS" not in response["Allow"]
    assert response["Allow"]


def test_a_blank_utm_campaign_matches_the_schema_pattern(tenant, key_client, client):
    campaign = CampaignFactory(workspace=tenant.workspace, utm_campaign="")
    body = key_client(tenant.workspace).get(f"/api/v1/campaigns/{campaign.pk}/")
    schema = client.get("/api/schema/", {"format": "json"}).json()
    prop = schema["components"]["schemas"]["Campaign"]["properties"]["utm_campaign"]
    assert re.fullmatch(prop["pattern"].strip("^$"), body.json()["utm_campaign"])
    assert re.fullmatch(prop["pattern"].strip("^$"), "spring-launch_2026")


def test_a_thumbnail_still_being_made_is_declared_nullable(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for component in ("Asset", "AssetDetail"):
        prop = schema["components"]["schemas"][component]["properties"]
        assert prop["thumbnail_url"].get("nullable") is True, component
