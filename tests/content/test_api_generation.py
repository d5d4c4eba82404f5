"""POST /api/v1/posts/{id}/generate/, /api/v1/generations/ and
/api/v1/workspaces/{id}/ai-spend/: jobs through the offline writer and the
OpenAI path (local server), the budget refusal before any call, reuse of an
identical request, cancel, tenancy and permissions, and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from content import services
from content.models import AISettings, Generation, GenerationStatus, Variant
from tests.content.conftest import post_with_channels, run
from workspaces.models import ApiKeyScope

pytestmark = pytest.mark.django_db

GENERATIONS = "/api/v1/generations/"


def _generate_url(post) -> str:
    return f"/api/v1/posts/{post.pk}/generate/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_offline_generation_is_queued_then_polled_to_success(tenant, user_client):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    client = user_client(tenant.editor)
    response = client.post(_generate_url(post), {"count": 2, "tone": "warm"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["cache_hit"] is False
    assert body["provider"] == "offline" and body["offline_draft"] is True
    assert body["networks"] == ["mastodon", "x"] and body["count"] == 2
    assert body["options"] == {"tone": "warm", "language": "", "fresh": False}
    assert body["template"] == "copy" and body["template_version"]
    assert body["created_by"] == tenant.editor.pk

    run(Generation.objects.get(pk=body["id"]))
    done = client.get(f"{GENERATIONS}{body['id']}/").json()
    assert (done["status"], done["progress"]) == ("succeeded", 100)
    assert done["message"] == "4 variants written"
    assert done["started_at"] and done["finished_at"] and done["error"] == ""
    variants = client.get("/api/v1/variants/", {"generation": body["id"]}).json()
    assert variants["count"] == 4


def test_openai_generation_reports_model_tokens_and_cost(
    tenant, user_client, openai_llm
):
    post = post_with_channels(tenant.workspace, "mastodon")
    client = user_client(tenant.editor)
    response = client.post(_generate_url(post), {"count": 2})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["provider"], body["model"]) == ("openai", "test-model")
    assert body["offline_draft"] is False
    assert Decimal(body["estimated_cost"]) > 0 and body["estimated_tokens"] > 0
    assert openai_llm.chat_requests() == []  # nothing is sent before the worker
    run(Generation.objects.get(pk=body["id"]))
    done = client.get(f"{GENERATIONS}{body['id']}/").json()
    assert done["status"] == "succeeded"
    assert (done["tokens_in"], done["tokens_out"]) == (120, 80)
    assert Decimal(done["cost"]) == Decimal("0.00028")
    assert len(openai_llm.chat_requests()) == 1
    (variant, _) = client.get("/api/v1/variants/", {"post": post.pk}).json()["results"]
    assert variant["provenance"]["model"] == "test-model"
    assert variant["provenance"]["tokens_in"] == 60


def test_a_model_error_shows_in_the_generation(tenant, user_client, openai_llm):
    openai_llm.enqueue("unknown_model")
    post = post_with_channels(tenant.workspace, "mastodon")
    client = user_client(tenant.editor)
    pk = client.post(_generate_url(post), {}).json()["id"]
    run(Generation.objects.get(pk=pk))
    done = client.get(f"{GENERATIONS}{pk}/").json()
    assert done["status"] == "failed" and "model" in done["error"].lower()
    assert "sk-test" not in done["error"]


def test_over_budget_is_409_with_the_numbers_and_nothing_sent(
    tenant, user_client, openai_llm
):
    AISettings.objects.create(
        workspace=tenant.workspace, monthly_budget=Decimal("0.001")
    )
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    error = _error(user_client(tenant.editor).post(_generate_url(post), {}), 409)
    assert error["code"] == "budget_exceeded"
    assert "monthly budget of $0.00" in error["message"]
    assert Decimal(error["budget"]) == Decimal("0.001")
    assert Decimal(error["spend"]) == 0
    assert Decimal(error["estimate"]) > Decimal("0.001")
    assert openai_llm.requests == []
    assert not Generation.objects.exists()


def test_identical_request_is_reused_with_200_and_cache_hit(
    tenant, user_client, openai_llm
):
    post = post_with_channels(tenant.workspace, "mastodon")
    client = user_client(tenant.editor)
    first = client.post(_generate_url(post), {"count": 2}).json()
    run(Generation.objects.get(pk=first["id"]))
    calls = len(openai_llm.chat_requests())

    response = client.post(_generate_url(post), {"count": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["cache_hit"] is True
    assert body["reused_from"] == first["id"] and body["cost"] == "0.000000"
    assert Variant.objects.filter(generation_id=body["id"]).count() == 2
    assert len(openai_llm.chat_requests()) == calls

    fresh = client.post(_generate_url(post), {"count": 2, "fresh": True})
    assert fresh.status_code == 202 and fresh.json()["cache_hit"] is False


def test_cancel_a_queued_generation_then_409(tenant, user_client):
    post = post_with_channels(tenant.workspace, "mastodon")
    client = user_client(tenant.editor)
    pk = client.post(_generate_url(post), {}).json()["id"]
    response = client.post(f"{GENERATIONS}{pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled" and response.json()["canceled_at"]
    run(Generation.objects.get(pk=pk))  # the worker finds it canceled
    assert not Variant.objects.filter(generation_id=pk).exists()
    error = _error(client.post(f"{GENERATIONS}{pk}/cancel/"), 409)
    assert (error["code"], error["status"]) == ("not_cancelable", "canceled")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 7}, "count"),
        ({"count": "many"}, "count"),
        ({"accounts": [99999999]}, "accounts"),
        ({"accounts": "all"}, "accounts"),
        ({"tone": "x" * 101}, "tone"),
        ({"language": "x" * 21}, "language"),
        ({"fresh": "perhaps"}, "fresh"),
        ({"channels": ["x"]}, "channels"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    tenant, user_client, payload, field
):
    post = post_with_channels(tenant.workspace, "mastodon")
    error = _error(user_client(tenant.editor).post(_generate_url(post), payload), 400)
    assert field in error["fields"], error
    assert not Generation.objects.exists()


def test_an_account_of_another_post_is_refused(tenant, user_client):
    post = post_with_channels(tenant.workspace, "mastodon")
    other = post_with_channels(tenant.workspace, "x")
    response = user_client(tenant.editor).post(
        _generate_url(post), {"accounts": [other.accounts.get().pk]}
    )
    assert "not one of this post's channels" in str(
        _error(response, 400)["fields"]["accounts"]
    )
    assert not Generation.objects.exists()


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
def test_generate_and_cancel_per_role(tenant, user_client, role, allowed):
    post = post_with_channels(tenant.workspace, "mastodon")
    client = user_client(tenant.person(role))
    response = client.post(_generate_url(post), {})
    assert response.status_code == (202 if allowed else 403), response.content
    queued = Generation.objects.create(
        workspace=tenant.workspace,
        post=post,
        provider="offline",
        prompt_template="copy",
        prompt_version="1",
        inputs_hash="h",
    )
    response = client.post(f"{GENERATIONS}{queued.pk}/cancel/")
    assert response.status_code == (200 if allowed else 403), response.content
    # Everyone in the workspace may follow the jobs.
    assert client.get(f"{GENERATIONS}{queued.pk}/").status_code == 200


def test_read_key_follows_but_cannot_generate_or_cancel(
    tenant, user_client, key_client
):
    post = post_with_channels(tenant.workspace, "mastodon")
    pk = user_client(tenant.editor).post(_generate_url(post), {}).json()["id"]
    reader = key_client(tenant.workspace, ApiKeyScope.READ)
    assert reader.get(f"{GENERATIONS}{pk}/").status_code == 200
    _error(reader.post(_generate_url(post), {}), 403)
    _error(reader.post(f"{GENERATIONS}{pk}/cancel/"), 403)
    assert Generation.objects.get().status == GenerationStatus.QUEUED
    writer = key_client(tenant.workspace, ApiKeyScope.WRITE)
    response = writer.post(_generate_url(post), {"fresh": True})
    assert response.status_code == 202, response.content
    assert response.json()["created_by_key"] is not None


def test_another_tenants_post_and_jobs_are_not_found(
    tenant, other_tenant, user_client, key_client
):
    theirs = post_with_channels(other_tenant.workspace, "mastodon")
    their_job = run(services.generation_request(post=theirs, by=other_tenant.editor))
    for client in (
        user_client(tenant.owner),
        key_client(tenant.workspace, ApiKeyScope.WRITE),
    ):
        _error(client.post(_generate_url(theirs), {}), 404)
        _error(client.get(f"{GENERATIONS}{their_job.pk}/"), 404)
        _error(client.post(f"{GENERATIONS}{their_job.pk}/cancel/"), 404)
        _error(
            client.get(f"/api/v1/workspaces/{other_tenant.workspace.pk}/ai-spend/"), 404
        )
        assert client.get(GENERATIONS).json()["count"] == 0
        listed = client.get(GENERATIONS, {"workspace": other_tenant.workspace.pk})
        assert listed.json()["count"] == 0
    assert Generation.objects.count() == 1


def test_generations_list_filters(tenant, user_client):
    a = post_with_channels(tenant.workspace, "mastodon")
    b = post_with_channels(tenant.workspace, "x")
    client = user_client(tenant.editor)
    first = client.post(_generate_url(a), {}).json()["id"]
    second = client.post(_generate_url(b), {}).json()["id"]
    run(Generation.objects.get(pk=second))

    def ids(**params: object) -> list[int]:
        response = client.get(GENERATIONS, params)
        assert response.status_code == 200, response.content
        return [g["id"] for g in response.json()["results"]]

    assert ids() == [second, first]
    assert ids(post=a.pk) == [first]
    assert ids(status="succeeded") == [second]
    assert ids(workspace=tenant.workspace.slug) == [second, first]
    assert (
        "status" in _error(client.get(GENERATIONS, {"status": "nope"}), 400)["fields"]
    )


def test_ai_spend_shows_the_month_against_the_budget(
    tenant, user_client, key_client, openai_llm
):
    url = f"/api/v1/workspaces/{tenant.workspace.pk}/ai-spend/"
    client = user_client(tenant.client)
    empty = client.get(url).json()
    assert (empty["spend"], empty["budget"], empty["remaining"]) == (
        "0.000000",
        None,
        None,
    )
    assert empty["provider"] == "openai" and empty["model"] == "test-model"
    post = post_with_channels(tenant.workspace, "mastodon")
    run(
        Generation.objects.get(
            pk=user_client(tenant.editor).post(_generate_url(post), {}).json()["id"]
        )
    )
    AISettings.objects.create(workspace=tenant.workspace, monthly_budget=Decimal("1"))
    body = key_client(tenant.workspace, ApiKeyScope.READ).get(url).json()
    assert body["spend"] == "0.000280" and body["tokens"] == 200
    assert body["budget"] == "1.0000" and body["remaining"] == "0.999720"
    assert body["month_start"].endswith("-01T00:00:00Z")
