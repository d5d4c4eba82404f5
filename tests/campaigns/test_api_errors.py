"""Every failure under /api/v1/ answers one format:
`{"error": {"code", "message", "fields"}}`.

Each bad request also leaves the database exactly as it was.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from workspaces.models import (
    ApiKey,
    ApiKeyScope,
    Invitation,
    Membership,
    Organization,
    Workspace,
)

ORGS = "/api/v1/organizations/"
WORKSPACES = "/api/v1/workspaces/"


def _error(response, status: int) -> dict:
    """The error body, after checking its status, media type and exact shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


def _rows() -> dict[str, list[tuple]]:
    """Every tenancy row, to prove a refused request changed nothing."""
    return {
        model.__name__: sorted(model.objects.values_list())
        for model in (Organization, Workspace, Membership, Invitation, ApiKey)
    }


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ['{"name": ', "{'name': 'x'}", "nul", '{"name": "x"}}']
)
def test_malformed_json_answers_400_parse_error(tenant, user_client, body):
    before = _rows()
    response = user_client(tenant.owner).post(
        ORGS, data=body, content_type="application/json"
    )
    error = _error(response, 400)
    assert error["code"] == "parse_error"
    assert error["message"].startswith("JSON parse error")
    assert error["fields"] == {}
    assert _rows() == before


@pytest.mark.parametrize("body", ["null", "[]", '"Northwind"', "42"])
def test_json_that_is_not_an_object_answers_400(tenant, user_client, body):
    before = _rows()
    response = user_client(tenant.owner).post(
        ORGS, data=body, content_type="application/json"
    )
    error = _error(response, 400)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["non_field_errors"]
    assert _rows() == before


def test_deeply_nested_json_is_a_parse_error_not_a_crash(tenant, user_client):
    """json.loads raises RecursionError past its depth; that is bad input (400)."""
    before = _rows()
    body = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = user_client(tenant.owner).post(
        ORGS, data=body, content_type="application/json"
    )
    error = _error(response, 400)
    assert error["code"] == "parse_error"
    assert "nested too deeply" in error["message"]
    assert _rows() == before


def test_unknown_fields_are_named(tenant, user_client):
    before = _rows()
    response = user_client(tenant.owner).post(
        ORGS, {"name": "Northwind", "colour": "red", "Slug": "x"}, format="json"
    )
    error = _error(response, 400)
    assert (error["code"], error["message"]) == (
        "invalid",
        "The request has invalid fields.",
    )
    assert error["fields"] == {"Slug": ["Unknown field."], "colour": ["Unknown field."]}
    assert _rows() == before


def test_wrong_types_answer_400_with_a_message_per_field(tenant, user_client):
    ws = tenant.workspace
    before = _rows()
    response = user_client(tenant.owner).patch(
        f"{WORKSPACES}{ws.pk}/",
        {"name": {"first": "x"}, "approval_required": "maybe", "time_zone": ["UTC"]},
        format="json",
    )
    error = _error(response, 400)
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "name": ["Not a valid string."],
        "approval_required": ["Must be a valid boolean."],
        "time_zone": ["Not a valid string."],
    }
    assert _rows() == before


def test_missing_and_wrongly_typed_relations_are_named(tenant, user_client):
    before = _rows()
    response = user_client(tenant.owner).post(
        WORKSPACES, {"organization": "acme"}, format="json"
    )
    fields = _error(response, 400)["fields"]
    assert fields["name"] == ["This field is required."]
    assert fields["organization"] == [
        "Incorrect type. Expected pk value, received str."
    ]
    assert _rows() == before


def test_a_rule_of_the_service_answers_400_in_the_same_format(tenant, user_client):
    before = _rows()
    response = user_client(tenant.owner).post(ORGS, {"name": "   "}, format="json")
    error = _error(response, 400)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["name"]
    assert _rows() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/members/?workspace=²",
        "/api/v1/invitations/?workspace=²",
        "/api/v1/api-keys/?workspace=²",
        "/api/v1/workspaces/?organization=²",
    ],
)
def test_a_filter_value_that_looks_numeric_but_is_not_matches_nothing(
    tenant, user_client, path
):
    """The value "²" passes str.isdigit() but not int(): a slug matching nothing."""
    response = user_client(tenant.owner).get(path)
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


def test_a_filter_value_with_a_null_character_is_refused(tenant, user_client):
    response = user_client(tenant.owner).get("/api/v1/members/", {"workspace": "\0"})
    assert _error(response, 400)["fields"] == {
        "workspace": ["Null characters are not allowed."]
    }


# --- size and media type ------------------------------------------------------------


def test_an_oversized_body_answers_413(tenant, user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    before = _rows()
    body = json.dumps({"name": "x" * 200})
    response = user_client(tenant.owner).post(
        ORGS, data=body, content_type="application/json"
    )
    error = _error(response, 413)
    assert error == {
        "code": "request_too_large",
        "message": "The request body is larger than this server accepts.",
        "fields": {},
    }
    assert _rows() == before


def test_the_size_limit_is_exact(tenant, user_client, settings):
    body = json.dumps({"name": "Northwind"})
    client = user_client(tenant.owner)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1
    _error(client.post(ORGS, data=body, content_type="application/json"), 413)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    accepted = client.post(ORGS, data=body, content_type="application/json")
    assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "name=Northwind"),
        ("text/plain", '{"name": "Northwind"}'),
        ("application/xml", "<name>Northwind</name>"),
    ],
)
def test_a_body_that_is_not_json_answers_415(tenant, user_client, content_type, body):
    before = _rows()
    response = user_client(tenant.owner).post(
        ORGS, data=body, content_type=content_type
    )
    error = _error(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert content_type in error["message"]
    assert _rows() == before


# --- addresses and methods ----------------------------------------------------------


def test_a_method_not_offered_answers_405_with_allow(tenant, user_client):
    before = _rows()
    client = user_client(tenant.owner)
    response = client.delete(ORGS)
    error = _error(response, 405)
    assert error["code"] == "method_not_allowed"
    assert '"DELETE"' in error["message"]
    # OPTIONS is not offered: the schema describes the API (tests/api_fuzz).
    assert set(response["Allow"].replace(" ", "").split(",")) == {
        "GET",
        "POST",
        "HEAD",
    }
    put = client.put(
        f"{WORKSPACES}{tenant.workspace.pk}/", {"name": "X"}, format="json"
    )
    assert _error(put, 405)["code"] == "method_not_allowed"
    assert _rows() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/workspaces/1/settings/",
        "/api/v1/workspaces/not-a-number/",
        "/api/v1/",
    ],
)
def test_an_unknown_address_answers_404_json_not_html(tenant, user_client, path):
    response = user_client(tenant.owner).get(path)
    error = _error(response, 404)
    assert error["code"] == "not_found"
    assert b"<html" not in response.content.lower()


def test_an_unknown_address_is_404_json_even_without_credentials(db, api_client):
    before = _rows()
    response = api_client.post("/api/v1/nothing-here/", {"a": 1}, format="json")
    assert _error(response, 404)["code"] == "not_found"
    assert _rows() == before


def test_a_missing_trailing_slash_points_to_the_right_address(tenant, user_client):
    response = user_client(tenant.owner).get("/api/v1/workspaces")
    error = _error(response, 404)
    assert error["message"].endswith("did you mean /api/v1/workspaces/?")


# --- credentials --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ORGS), ("post", ORGS), ("get", WORKSPACES), ("post", "/api/v1/api-keys/")],
)
def test_no_credentials_answers_401(tenant, api_client, method, path):
    before = _rows()
    response = getattr(api_client, method)(path, {"name": "X"}, format="json")
    error = _error(response, 401)
    assert error["code"] == "not_authenticated"
    assert error["fields"] == {}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert _rows() == before


def test_an_unexpected_error_answers_500_without_details(
    tenant, user_client, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("workspaces.api.organizations.organization_create", broken)
    response = user_client(tenant.owner).post(ORGS, {"name": "X"}, format="json")
    error = _error(response, 500)
    assert error["code"] == "server_error"
    assert "hunter2" not in response.content.decode()
    assert "Unhandled API error" in caplog.text


# --- throttling ---------------------------------------------------------------------


@pytest.fixture
def throttled(settings):
    """Three requests a minute per caller, counted in a private, empty cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-throttle-tests",
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"caller": "3/minute"},
    }
    cache.clear()
    yield
    cache.clear()


def test_too_many_requests_answer_429_with_retry_after(tenant, user_client, throttled):
    client = user_client(tenant.owner)
    for _ in range(3):
        assert client.get(ORGS).status_code == 200
    before = _rows()
    response = client.post(ORGS, {"name": "One too many"}, format="json")
    error = _error(response, 429)
    assert error["code"] == "throttled"
    assert error["fields"] == {}
    assert 1 <= int(response["Retry-After"]) <= 60
    assert f"{response['Retry-After']} second" in error["message"]
    assert _rows() == before


def test_each_caller_has_its_own_budget(tenant, user_client, key_client, throttled):
    owner = user_client(tenant.owner)
    for _ in range(3):
        owner.get(ORGS)
    _error(owner.get(ORGS), 429)
    assert user_client(tenant.editor).get(ORGS).status_code == 200
    key = key_client(tenant.workspace, ApiKeyScope.READ)
    for _ in range(3):
        assert key.get(ORGS).status_code == 200
    _error(key.get(ORGS), 429)


def test_the_budget_is_per_key_not_per_address(tenant, key_client, throttled):
    first = key_client(tenant.workspace, ApiKeyScope.READ)
    for _ in range(3):
        first.get(ORGS)
    _error(first.get(ORGS), 429)
    second = key_client(tenant.workspace, ApiKeyScope.READ)
    assert second.get(ORGS).status_code == 200
