"""Id filters refuse numbers no database id can have: 400, never a 500.

schemathesis found `?generation=1e30` and `?campaign=99999999999999999999`
overflowing the database integer; every id filter is one `IdFilter`.
"""

from __future__ import annotations

import pytest

from workspaces.models import ApiKeyScope

ID_FILTERS = [
    ("/api/v1/variants/", "generation"),
    ("/api/v1/variants/", "post"),
    ("/api/v1/posts/", "campaign"),
    ("/api/v1/posts/", "pillar"),
    ("/api/v1/posts/", "channel"),
    ("/api/v1/publications/", "post"),
    ("/api/v1/publications/", "account"),
    ("/api/v1/generations/", "post"),
    ("/api/v1/campaigns/", "brand"),
]
BAD = ["1e30", "99999999999999999999", "9223372036854775808", "-1", "0", "1.5", "x"]


@pytest.mark.parametrize(("url", "name"), ID_FILTERS)
@pytest.mark.parametrize("value", BAD)
def test_an_out_of_range_id_filter_answers_400_naming_it(
    tenant, key_client, url, name, value
):
    client = key_client(tenant.workspace, ApiKeyScope.READ)
    response = client.get(url, {name: value})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [name]


@pytest.mark.parametrize(("url", "name"), ID_FILTERS)
def test_the_largest_id_is_still_a_valid_filter(tenant, key_client, url, name):
    client = key_client(tenant.workspace, ApiKeyScope.READ)
    response = client.get(url, {name: str(2**63 - 1)})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


def test_the_import_campaign_parameter_refuses_an_overflowing_id(tenant, key_client):
    client = key_client(tenant.workspace, ApiKeyScope.WRITE)
    response = client.post(
        "/api/v1/posts/import/?campaign=99999999999999999999",
        data="date,text\n",
        content_type="text/csv",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["campaign"]
