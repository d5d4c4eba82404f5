"""The schema names every status the API can answer; a long query is a 414.

Some answers come from the machinery every view runs through, not from the
view: `core.api.schema_hooks` declares them on each operation.
"""

from __future__ import annotations

import pytest

from workspaces.api.base import MAX_QUERY_STRING
from workspaces.models import ApiKeyScope

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_operation_declares_the_shared_errors(schema):
    operations = list(_operations(schema))
    assert len(operations) > 50
    for method, path, operation in operations:
        declared = set(operation["responses"])
        expected = {"400", "401", "403", "404", "414", "429"}
        if method != "get":
            expected |= {"409", "413", "415"}
        assert expected <= declared, f"{method.upper()} {path}: {expected - declared}"
        for code in expected:
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_a_view_s_own_error_description_is_kept(schema):
    upload = schema["paths"]["/api/v1/assets/"]["post"]["responses"]["400"]
    assert "`empty`" in upload["description"]


@pytest.mark.parametrize("url", ["/api/v1/posts/", "/api/v1/workspaces/"])
def test_a_query_string_over_the_limit_answers_414_in_the_error_format(
    tenant, key_client, url
):
    client = key_client(tenant.workspace, ApiKeyScope.READ)
    ok = client.get(url, {"search": "x" * (MAX_QUERY_STRING - len("search="))})
    assert ok.status_code == 200, ok.content
    response = client.get(url, {"search": "x" * MAX_QUERY_STRING})
    assert response.status_code == 414
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "uri_too_long"
    assert error["fields"] == {}
