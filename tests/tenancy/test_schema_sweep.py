"""The tenant sweep, generated from the API schema and the URL conf (issue 10).

Two workspaces with one of everything. With workspace A's credentials (a write
API key, the owner's signed-in session and the owner's personal access token)
every operation of the schema that
names an object is called with workspace B's ids: each answers 404, every list
(also filtered by B's id or slug) omits B, and afterwards every row of B reads
exactly as before. The UI routes with id arguments get the same treatment.

Nothing here lists endpoints by hand: a new operation is swept as soon as it is
in the schema, and one whose path names an object `tests.tenancy.world` cannot
supply fails by name until it is added to `RESOURCES`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.tenancy.world import (
    Operation,
    World,
    address,
    build_world,
    operations,
    param_key,
)

pytestmark = pytest.mark.django_db

# A string no response to A may ever contain: B's objects are named with it.
MARK = "zz-tenant-b"
# Bodies that would change B if a write reached it.
STRING, FALSE = f"Hijacked {MARK}", False


@pytest.fixture(scope="module")
def worlds(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[tuple[World, World]]:
    """Built once for the module (a few seconds) inside a transaction rolled
    back at its end; each test still runs in its own savepoint, and compares
    B's rows before and after itself."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        yield build_world("tenant-a"), build_world(MARK)
        transaction.set_rollback(True)


def _clients(a: World) -> dict[str, APIClient]:
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Bearer {a.write_secret}")
    session = APIClient()
    session.force_login(a.owner)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {a.token_secret}")
    return {"write key": key, "owner session": session, "owner's token": token}


def _body(op: Operation, b: World, references: bool = False) -> dict[str, Any]:
    """A valid write that would change B's object if it reached it: the
    operation's own body fields (from the schema) that have a value here. With
    `references`, B's ids too (for creates: a reference to B must not land
    there); without, only plain values, so a write on B's own object that
    slipped through would pass validation and show in the snapshot."""
    plain: dict[str, Any] = {
        "name": STRING,
        "topic": STRING,
        "angle": STRING,
        "text": STRING,
        "reason": STRING,
        "body": STRING,
        "alt_text": STRING,
        "brief": STRING,
        "voice": STRING,
        "email": f"hijack-{MARK}@example.test",
        "approval_required": FALSE,
        "enabled": FALSE,
        "role": "editor",
    }
    refs: dict[str, Any] = {
        "organization": b.ids["organization"],
        "workspace": b.ids["workspace"],
        "campaign": b.ids["campaign"],
        "brand": b.ids["brand"],
        "post": b.ids["post"],
        "asset": b.ids["asset"],
        "account": b.ids["account"],
        "accounts": [b.ids["account"]],
    }
    values = {**plain, **refs} if references else plain
    return {name: values[name] for name in op.fields if name in values}


def _workspace_counts(b: World) -> dict[str, int]:
    """How many rows of each workspace-owned model B has (a create into B shows)."""
    counts = {}
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if "workspace" in names:
            counts[model.__name__] = model.objects.filter(
                workspace_id=b.ids["workspace"]
            ).count()
    return counts


def _call(client: Any, method: str, url: str, body: dict[str, Any] | None) -> Any:
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, body or {}, format="json")


def test_every_operation_is_mapped_to_an_object() -> None:
    unmapped = sorted(
        f"{op} {{{name}}}"
        for op in operations()
        for name in op.params
        if param_key(op, name) is None
    )
    assert not unmapped, (
        "Add these to tests/tenancy/world.py (RESOURCES / SUB_RESOURCES) so the "
        f"tenant sweep covers them: {unmapped}"
    )


def test_another_workspaces_ids_answer_404_and_change_nothing(worlds) -> None:
    a, b = worlds
    before, counts = b.snapshot(), _workspace_counts(b)
    leaks: list[str] = []
    for who, client in _clients(a).items():
        for op in operations():
            if not op.params:
                continue
            # B's ids everywhere, and A's parent with B's child (my channel,
            # their subscriber).
            addresses = {address(op, b.ids)}
            if len(op.params) > 1:
                mixed = {
                    **a.ids,
                    param_key(op, op.params[-1]): b.ids[param_key(op, op.params[-1])],
                }  # type: ignore[index]
                addresses.add(address(op, mixed))
            for url in sorted(addresses):
                response = _call(client, op.method, url, _body(op, b))
                if response.status_code != 404 or MARK in response.content.decode():
                    leaks.append(
                        f"{who}: {op.method.upper()} {url} -> {response.status_code} "
                        f"{response.content[:160]!r}"
                    )
    assert not leaks, "\n".join(leaks)
    assert b.snapshot() == before
    assert _workspace_counts(b) == counts


def _ids(payload: Any) -> set[int]:
    rows = payload.get("results", payload) if isinstance(payload, dict) else payload
    return {row["id"] for row in rows if isinstance(row, dict) and "id" in row}


def test_every_list_omits_the_other_workspace(worlds) -> None:
    a, b = worlds
    lists = [op for op in operations() if op.method == "get" and not op.params]
    assert lists
    leaks: list[str] = []
    for who, client in _clients(a).items():
        for op in lists:
            key = param_key(Operation("get", f"{op.path}{{id}}/", ""), "id")
            for query in (
                "",
                f"?workspace={b.ids['workspace']}",
                f"?workspace={b.workspace.slug}",
            ):
                response = client.get(op.path + query)
                text = response.content.decode()
                if response.status_code >= 500 or MARK in text:
                    leaks.append(
                        f"{who}: GET {op.path}{query} -> {response.status_code}"
                    )
                    continue
                listed = response.status_code == 200 and key is not None
                if listed and b.ids[key] in _ids(json.loads(text)):
                    leaks.append(f"{who}: GET {op.path}{query} lists B's {key}")
    assert not leaks, "\n".join(leaks)


def test_creates_naming_the_other_workspace_add_nothing_to_it(worlds) -> None:
    a, b = worlds
    before, counts = b.snapshot(), _workspace_counts(b)
    for client in _clients(a).values():
        for op in operations():
            if op.method == "post" and not op.params:
                # A create may succeed (a new organization is the caller's
                # own); it must not land in, or change, B.
                response = _call(client, "post", op.path, _body(op, b, True))
                assert response.status_code < 500, (op, response.content)
    assert b.snapshot() == before
    assert _workspace_counts(b) == counts


# --- The UI -----------------------------------------------------------------------

# Path prefix (up to the id) → the object its `pk` names.
UI_RESOURCES = {
    "channels/": "account",
    "publications/": "publication",
    "posts/": "post",
    "generations/": "generation",
    "variants/": "variant",
    "content/assets/": "asset",
    "content/renditions/": "rendition",
    "image-jobs/": "job",
    "settings/members/": "membership",
    "settings/invitations/": "invitation",
    "settings/api-keys/": "api_key",
    "account/security/tokens/": "personal_token",
    "approvals/": "post",
    "campaigns/": "campaign",
    "brands/": "brand",
    "jobs/": "job",
}
UI_KWARGS = {"subscriber_id": "subscriber", "asset_pk": "asset"}
# Public by design (a sign-up form, the demo's inbox): any workspace's id works.
UI_PUBLIC = {"newsletter-subscribe", "inbox-hook"}
UI_SLUGS = {
    "name": ["approve", "cancel"],  # a move of posts and of publications
    "kind": ["thumbnail", "original"],
}


def _routes() -> list[tuple[str, URLPattern]]:
    def walk(patterns: list[Any], prefix: str) -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern

    return [
        (route, pattern)
        for route, pattern in walk(get_resolver().url_patterns, "")
        if "<int:" in route
        and not route.startswith(("api/", "admin/"))
        and pattern.name not in UI_PUBLIC
    ]


def _ui_urls(route: str, ids: dict[str, Any]) -> list[str]:
    prefix = route.split("<", 1)[0]
    if prefix not in UI_RESOURCES:
        raise AssertionError(f"UI route {route!r}: add its object to UI_RESOURCES")
    urls = [route]
    for name in ("pk", *UI_KWARGS):
        key = UI_RESOURCES[prefix] if name == "pk" else UI_KWARGS[name]
        urls = [u.replace(f"<int:{name}>", str(ids[key])) for u in urls]
    for name, values in UI_SLUGS.items():
        if f"<slug:{name}>" in route:
            urls = [u.replace(f"<slug:{name}>", v) for u in urls for v in values]
    assert all("<" not in u for u in urls), (route, urls)
    return ["/" + u for u in urls]


def test_ui_routes_answer_404_for_the_other_workspace(worlds, static_files) -> None:
    a, b = worlds
    before, counts = b.snapshot(), _workspace_counts(b)
    browser = Client()
    browser.force_login(a.owner)
    routes = _routes()
    assert len(routes) > 20
    leaks = []
    for route, _ in routes:
        for url in _ui_urls(route, b.ids):
            got = (
                browser.get(url).status_code,
                browser.post(url, {"reason": STRING}).status_code,
            )
            if 404 not in got or not set(got) <= {404, 405}:
                leaks.append(f"{url}: GET/POST -> {got}")
    assert not leaks, "\n".join(leaks)
    assert b.snapshot() == before
    assert _workspace_counts(b) == counts
