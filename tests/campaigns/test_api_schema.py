"""The published OpenAPI schema and its docs page: valid, complete, self-hosted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.api_urls import urlpatterns
from workspaces.api.base import not_found

ROOT = Path(__file__).resolve().parent.parent.parent
METHODS = {"get", "post", "put", "patch", "delete"}


def _api_paths() -> set[str]:
    """Every route under /api/v1/ (bar the 404 catch-all), as OpenAPI paths."""
    paths = set()
    for url in urlpatterns:
        if url.callback is not_found:
            continue
        route = str(url.pattern).removeprefix("^").removesuffix("$")
        route = re.sub(r"\(\?P<(\w+)>[^)]+\)", r"{\1}", route)  # regex routes
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)  # path() routes
        paths.add("/api/v1/" + route.replace("{pk}", "{id}"))
    return paths


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    return json.loads(response.content)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_spectacular_validates_without_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "schema.yml"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(out),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr, result.stderr
    assert out.read_text().startswith("openapi: 3.")


def test_the_schema_lists_every_v1_path_and_nothing_else(schema):
    expected = _api_paths()
    assert {
        "/api/v1/organizations/",
        "/api/v1/workspaces/{id}/",
        "/api/v1/members/{id}/",
        "/api/v1/invitations/{id}/revoke/",
        "/api/v1/api-keys/{id}/revoke/",
    } <= expected
    assert set(schema["paths"]) == expected
    assert schema["info"]["title"] == "AdLoop API"


def test_the_schema_offers_the_methods_each_view_answers(schema):
    offered = {
        path: {m for m in item if m in METHODS}
        for path, item in schema["paths"].items()
    }
    assert offered["/api/v1/members/{id}/"] == {"get", "patch", "delete"}
    assert offered["/api/v1/workspaces/{id}/"] == {"get", "patch"}
    # PATCH: the two-factor rule (workspaces.twofactor).
    assert offered["/api/v1/organizations/{id}/"] == {"get", "patch"}
    assert offered["/api/v1/personal-access-tokens/{id}/"] == {"get"}
    assert offered["/api/v1/personal-access-tokens/{id}/revoke/"] == {"post"}
    assert offered["/api/v1/api-keys/{id}/revoke/"] == {"post"}


def test_every_operation_has_its_own_example_or_a_description(schema):
    """The shared error examples do not count: each operation must say what it
    does, or show a request or a success response."""
    bare = []
    for name, operation in _operations(schema):
        request = operation.get("requestBody", {}).get("content", {})
        success = [
            content
            for status, response in operation["responses"].items()
            if status.startswith("2")
            for content in response.get("content", {}).values()
        ]
        has_example = any("examples" in c for c in [*request.values(), *success])
        if not (has_example or operation.get("description")):
            bare.append(name)
    assert bare == []


def test_every_operation_documents_its_errors_in_the_one_format(schema):
    error_ref = "#/components/schemas/ErrorResponse"
    for name, operation in _operations(schema):
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), name
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": error_ref}, (name, status)
        assert operation.get("summary"), name


def test_bearer_authentication_is_declared(schema):
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_personal_access_tokens_are_declared_next_to_keys(schema):
    scheme = schema["components"]["securitySchemes"]["personalAccessToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "adp_" in scheme["description"]
    approve = schema["paths"]["/api/v1/posts/{id}/approve/"]["post"]
    offered = {name for item in approve["security"] for name in item}
    assert {"apiKey", "personalAccessToken"} <= offered
    tokens = schema["paths"]["/api/v1/personal-access-tokens/"]
    assert {"get", "post"} <= set(tokens)
    created = tokens["post"]["responses"]["201"]["content"]["application/json"]
    assert "secret" in str(schema["components"]["schemas"]) and created


def test_docs_render_without_any_cdn(client, static_files):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"cdn|unpkg|jsdelivr|cloudflare", html, re.IGNORECASE)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        if asset.startswith("/api/docs/?script="):
            # Swagger UI's start-up script, served by the docs view itself (the
            # Content-Security-Policy allows no inline script): local too.
            script = client.get(asset)
            assert script.status_code == 200
            assert "javascript" in script["Content-Type"]
            body = script.content.decode()
            assert not re.search(r"cdn|unpkg|jsdelivr|cloudflare", body, re.I)
            continue
        # Served from this host: the sidecar's files, collected with the rest.
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert (static_files / asset.removeprefix("/static/")).is_file(), asset
