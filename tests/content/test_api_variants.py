"""/api/v1/variants/: the rule report, gate verdict, provenance and edits in the
answer; tracked edits, choosing, deleting and the gate override through the API;
roles, key scopes, tenancy, bad input, filters and a constant query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content import services
from content.models import Variant, VariantEdit, VariantStatus
from tests.content.conftest import post_with_channels, run
from workspaces.models import ApiKeyScope

pytestmark = pytest.mark.django_db

URL = "/api/v1/variants/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _variants(tenant, *networks, count=2):
    post = post_with_channels(tenant.workspace, *networks)
    generation = run(
        services.generation_request(post=post, by=tenant.editor, count=count)
    )
    return post, list(Variant.objects.filter(generation=generation))


def test_a_variant_says_its_rules_gate_and_provenance(tenant, user_client):
    post, (variant, _) = _variants(tenant, "x")
    body = user_client(tenant.client).get(f"{URL}{variant.pk}/").json()
    assert (body["post"], body["network"], body["label"]) == (post.pk, "x", "A")
    assert body["text"] == variant.text and body["status"] == "proposed"
    for key in ("hashtags", "alt_text", "image_prompt", "rationale", "account"):
        assert key in body
    rules = body["rules"]
    assert rules["limit"] == 280 and 0 < rules["length"] <= 280
    assert rules["unit"] and rules["violations"] == [] and rules["shortened"] is False
    assert body["gate"]["passed"] is True and body["gate"]["overridden"] is False
    provenance = body["provenance"]
    assert provenance["provider"] == "offline" and provenance["offline_draft"] is True
    assert provenance["template"] == "copy" and provenance["template_version"]
    assert len(provenance["inputs_hash"]) == 64
    assert provenance["made_by"] == "machine"
    assert provenance["created_by"] == tenant.editor.pk
    assert body["edits"] == []


def test_x_counts_a_url_as_23(tenant, user_client):
    _, (variant, _) = _variants(tenant, "x")
    text = "See https://example.test/" + "a" * 100
    body = user_client(tenant.editor).patch(f"{URL}{variant.pk}/", {"text": text})
    assert body.status_code == 200, body.content
    assert body.json()["rules"]["length"] == len("See ") + 23


def test_edit_is_tracked_and_answers_the_new_report_and_verdict(tenant, user_client):
    post, (variant, _) = _variants(tenant, "mastodon")
    post.campaign.brand.dont_words = ["cheap"]
    post.campaign.brand.save()
    client = user_client(tenant.editor)
    response = client.patch(
        f"{URL}{variant.pk}/", {"text": "Our cheap espresso is here."}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "Our cheap espresso is here."
    assert body["rules"]["edited"] is True
    assert body["rules"]["length"] == len("Our cheap espresso is here.")
    assert body["gate"]["passed"] is False
    assert any("cheap" in r["message"] for r in body["gate"]["reasons"])
    assert body["provenance"]["made_by"] == "machine"
    (edit,) = body["edits"]
    assert edit["by"] == tenant.editor.pk and edit["by_name"]
    assert "+Our cheap espresso is here." in edit["diff"] and edit["at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({}, "text"),
        ({"text": "x" * 20_001}, "text"),
        ({"text": "Fine.", "status": "chosen"}, "status"),
        ({"text": "Fine.", "network": "x"}, "network"),
        ({"text": ["a"]}, "text"),
    ],
)
def test_bad_edit_names_the_field_and_changes_nothing(
    tenant, user_client, payload, field
):
    _, (variant, _) = _variants(tenant, "mastodon")
    response = user_client(tenant.editor).patch(f"{URL}{variant.pk}/", payload)
    assert field in _error(response, 400)["fields"]
    fresh = Variant.objects.get(pk=variant.pk)
    assert (fresh.text, fresh.status, fresh.network) == (
        variant.text,
        variant.status,
        variant.network,
    )
    assert not VariantEdit.objects.exists()


def test_choose_one_then_another(tenant, user_client):
    _, (a, b) = _variants(tenant, "mastodon")
    client = user_client(tenant.editor)
    assert client.post(f"{URL}{a.pk}/choose/").json()["status"] == "chosen"
    assert client.post(f"{URL}{b.pk}/choose/").json()["status"] == "chosen"
    a.refresh_from_db()
    assert a.status == VariantStatus.PROPOSED


def test_delete(tenant, user_client):
    _, (a, b) = _variants(tenant, "mastodon")
    client = user_client(tenant.editor)
    assert client.delete(f"{URL}{a.pk}/").status_code == 204
    assert list(Variant.objects.all()) == [b]
    _error(client.get(f"{URL}{a.pk}/"), 404)


def test_gate_override_is_for_owners_and_admins_only(tenant, user_client, key_client):
    _, (variant, _) = _variants(tenant, "mastodon")
    Variant.objects.filter(pk=variant.pk).update(gate_passed=False)
    url = f"{URL}{variant.pk}/override-gate/"
    for role in ("editor", "reviewer", "client"):
        _error(user_client(tenant.person(role)).post(url), 403)
    _error(key_client(tenant.workspace, ApiKeyScope.WRITE).post(url), 403)
    assert Variant.objects.get(pk=variant.pk).gate_overridden_at is None
    for role in ("admin", "owner"):
        body = user_client(tenant.person(role)).post(url).json()
        gate = body["gate"]
        assert gate["passed"] is False and gate["overridden"] is True
        assert gate["overridden_by"] == tenant.person(role).pk
        assert gate["overridden_at"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", True),
        ("admin", True),
        ("editor", True),
        ("reviewer", False),
        ("client", False),
    ],
)
def test_writes_per_role(tenant, user_client, role, allowed):
    _, (a, b) = _variants(tenant, "mastodon")
    client = user_client(tenant.person(role))
    assert client.get(f"{URL}{a.pk}/").status_code == 200
    expected = (200, 200, 204) if allowed else (403, 403, 403)
    got = (
        client.patch(f"{URL}{a.pk}/", {"text": "New words."}).status_code,
        client.post(f"{URL}{a.pk}/choose/").status_code,
        client.delete(f"{URL}{b.pk}/").status_code,
    )
    assert got == expected
    if not allowed:
        assert Variant.objects.count() == 2 and not VariantEdit.objects.exists()


def test_read_key_reads_but_cannot_write_and_write_key_edits(tenant, key_client):
    _, (a, b) = _variants(tenant, "mastodon")
    reader = key_client(tenant.workspace, ApiKeyScope.READ)
    assert reader.get(URL).json()["count"] == 2
    _error(reader.patch(f"{URL}{a.pk}/", {"text": "New words."}), 403)
    _error(reader.post(f"{URL}{a.pk}/choose/"), 403)
    _error(reader.delete(f"{URL}{b.pk}/"), 403)
    _error(reader.post(f"{URL}{a.pk}/override-gate/"), 403)
    assert Variant.objects.count() == 2 and not VariantEdit.objects.exists()
    writer = key_client(tenant.workspace, ApiKeyScope.WRITE)
    body = writer.patch(f"{URL}{a.pk}/", {"text": "New words."}).json()
    (edit,) = body["edits"]
    assert (
        edit["by"] is None and edit["by_key"] and edit["by_name"].startswith("API key")
    )


def test_another_tenants_variants_are_not_found_everywhere(
    tenant, other_tenant, user_client, key_client
):
    theirs = post_with_channels(other_tenant.workspace, "mastodon")
    generation = run(services.generation_request(post=theirs, by=other_tenant.owner))
    variant = Variant.objects.filter(generation=generation).first()
    url = f"{URL}{variant.pk}/"
    for client in (
        user_client(tenant.owner),
        key_client(tenant.workspace, ApiKeyScope.WRITE),
    ):
        _error(client.get(url), 404)
        _error(client.patch(url, {"text": "Mine now."}), 404)
        _error(client.delete(url), 404)
        _error(client.post(f"{url}choose/"), 404)
        _error(client.post(f"{url}override-gate/"), 404)
        assert client.get(URL).json()["count"] == 0
        assert client.get(URL, {"post": theirs.pk}).json()["count"] == 0
        assert client.get(URL, {"generation": generation.pk}).json()["count"] == 0
    variant.refresh_from_db()
    assert variant.text != "Mine now." and variant.status == "proposed"


def test_filters(tenant, user_client):
    post, variants = _variants(tenant, "mastodon", "x")
    _variants(tenant, "bluesky")
    client = user_client(tenant.editor)
    chosen = variants[0]
    services.variant_choose(variant=chosen, by=tenant.editor)

    def ids(**params: object) -> list[int]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [v["id"] for v in response.json()["results"]]

    assert len(ids()) == 6
    assert ids(post=post.pk) == [v.pk for v in variants]
    assert ids(post=post.pk, network="x") == [
        v.pk for v in variants if v.network == "x"
    ]
    assert ids(status="chosen") == [chosen.pk]
    assert ids(generation=chosen.generation_id) == [v.pk for v in variants]
    assert len(ids(workspace=tenant.workspace.slug)) == 6
    assert "status" in _error(client.get(URL, {"status": "nope"}), 400)["fields"]
    assert "network" in _error(client.get(URL, {"network": "myspace"}), 400)["fields"]


def _make(post, n: int, editor) -> None:
    base = Variant.objects.filter(post=post).first()
    rows = []
    for i in range(n):
        rows.append(
            Variant(
                workspace=post.workspace,
                post=post,
                generation=base.generation,
                network="mastodon",
                label=f"Z{i}",
                text=f"Copy {i}.",
                rule_report=base.rule_report,
                gate=base.gate,
                provider="offline",
                created_by=editor,
            )
        )
    made = Variant.objects.bulk_create(rows)
    VariantEdit.objects.bulk_create(
        VariantEdit(variant=v, by=editor, before="a", after="b", diff="-a\n+b\n")
        for v in made
    )


def test_list_query_count_does_not_grow_with_the_page(tenant, user_client):
    post, _ = _variants(tenant, "mastodon", count=1)
    client = user_client(tenant.editor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"limit": 100})
            assert response.status_code == 200
        return len(ctx.captured_queries)

    _make(post, 4, tenant.editor)
    assert client.get(URL).json()["count"] == 5
    few = queries()
    _make(post, 45, tenant.editor)
    assert client.get(URL).json()["count"] == 50
    assert queries() == few <= 6
