"""Personal access tokens on the API: made by their person only, shown once,
stored hashed; they act as that person (a reviewer approves, the history names
them and the token); workspace keys never approve; tenants stay apart; the
two-factor rule holds them back until their person has enrolled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import PostStatus, PostStatusChange
from tests.campaigns.twofactor_helpers import enrol
from tests.factories import PostFactory
from workspaces.models import PersonalAccessToken
from workspaces.services import personal_tokens

URL = "/api/v1/personal-access-tokens/"


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _token(user, name: str = "Review bot", **fields) -> str:
    return personal_tokens.token_create(user=user, name=name, **fields).secret


def test_a_person_creates_a_token_shown_once_and_stored_hashed(tenant, user_client):
    client = user_client(tenant.reviewer)
    response = client.post(URL, {"name": "Review bot"}, format="json")
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("adp_") and body["active"] is True
    row = PersonalAccessToken.objects.get(pk=body["id"])
    assert row.user == tenant.reviewer and secret not in row.token_hash
    assert not PersonalAccessToken.objects.filter(token_hash=secret).exists()
    # Afterwards only the public prefix is shown.
    listed = client.get(URL).json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "secret" not in listed[0] and secret not in str(client.get(URL).content)
    assert client.get(f"{URL}{body['id']}/").json()["prefix"] == row.prefix
    # The secret works.
    assert _bearer(secret).get("/api/v1/workspaces/").status_code == 200


def test_a_token_acts_as_its_person_and_reaches_only_their_workspaces(
    tenant, other_tenant
):
    client = _bearer(_token(tenant.editor))
    listed = client.get("/api/v1/workspaces/").json()["results"]
    assert [w["id"] for w in listed] == [tenant.workspace.pk]
    other = other_tenant.workspace.pk
    assert client.get(f"/api/v1/workspaces/{other}/").status_code == 404
    post = PostFactory(workspace=other_tenant.workspace)
    assert client.get(f"/api/v1/posts/{post.pk}/").status_code == 404
    # An editor's token has the editor's rights, no more: no key management.
    assert client.get("/api/v1/api-keys/").json()["results"] == []


def test_a_reviewer_approves_through_the_api_and_the_history_names_them(tenant):
    post = PostFactory(
        workspace=tenant.workspace,
        status=PostStatus.IN_REVIEW,
        submitted_by=tenant.editor,
    )
    secret = _token(tenant.reviewer, name="Review bot")
    response = _bearer(secret).post(f"/api/v1/posts/{post.pk}/approve/", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PostStatus.APPROVED
    change = PostStatusChange.objects.get(post=post, action="approve")
    assert change.actor == tenant.reviewer and change.actor_key is None
    assert change.actor_token is not None and change.actor_token.name == "Review bot"
    history = _bearer(secret).get(f"/api/v1/posts/{post.pk}/history/").json()
    rows = history["results"] if isinstance(history, dict) else history
    approve = next(row for row in rows if row["action"] == "approve")
    assert approve["actor"] == tenant.reviewer.pk
    assert approve["actor_token"] == "Review bot"


def test_four_eyes_hold_for_tokens_too(tenant):
    post = PostFactory(
        workspace=tenant.workspace,
        status=PostStatus.IN_REVIEW,
        submitted_by=tenant.owner,
    )
    response = _bearer(_token(tenant.owner)).post(
        f"/api/v1/posts/{post.pk}/approve/", {}
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    # An editor's token cannot approve: the editor cannot.
    editor = _bearer(_token(tenant.editor)).post(
        f"/api/v1/posts/{post.pk}/approve/", {}
    )
    assert editor.status_code == 403


def test_a_workspace_key_never_approves_and_is_told_why(tenant, key_client):
    post = PostFactory(
        workspace=tenant.workspace,
        status=PostStatus.IN_REVIEW,
        submitted_by=tenant.editor,
    )
    response = key_client(tenant.workspace).post(f"/api/v1/posts/{post.pk}/approve/")
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert message.startswith("A person must approve")
    assert "personal access token" in message and "web UI" in message
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_another_persons_token_answers_404(tenant, user_client):
    theirs = personal_tokens.token_create(user=tenant.owner, name="Owner's").token
    client = user_client(tenant.editor)
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/revoke/").status_code == 404
    assert client.get(URL).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_stops_the_token_at_once(tenant, user_client):
    issued = personal_tokens.token_create(user=tenant.editor, name="Laptop")
    client = user_client(tenant.editor)
    response = client.post(f"{URL}{issued.token.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked_at"] and response.json()["active"] is False
    refused = _bearer(issued.secret).get("/api/v1/workspaces/")
    assert refused.status_code == 401
    assert client.post(f"{URL}{issued.token.pk}/revoke/").status_code == 200


def test_an_expired_token_and_a_made_up_one_answer_401(tenant):
    issued = personal_tokens.token_create(
        user=tenant.editor, name="Short", expires_at=timezone.now() + timedelta(hours=1)
    )
    PersonalAccessToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert _bearer(issued.secret).get("/api/v1/workspaces/").status_code == 401
    made_up = issued.secret[:-4] + "AAAA"
    response = _bearer(made_up).get("/api/v1/workspaces/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_an_inactive_person_s_token_answers_401(tenant):
    secret = _token(tenant.editor)
    tenant.editor.is_active = False
    tenant.editor.save()
    assert _bearer(secret).get("/api/v1/workspaces/").status_code == 401


def test_keys_cannot_manage_tokens_and_tokens_cannot_mint_tokens(tenant, key_client):
    key = key_client(tenant.workspace)
    assert key.get(URL).status_code == 403
    assert key.post(URL, {"name": "x"}, format="json").status_code == 403
    token = _bearer(_token(tenant.editor))
    assert token.get(URL).status_code == 200
    minted = token.post(URL, {"name": "successor"}, format="json")
    assert minted.status_code == 403
    assert PersonalAccessToken.objects.filter(user=tenant.editor).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "scope": "write"}, "scope"),
        ({"name": "ok", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "ok", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": ["a"]}, "name"),
    ],
)
def test_bad_input_is_400_naming_the_field(tenant, user_client, body, field):
    response = user_client(tenant.editor).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not PersonalAccessToken.objects.exists()


def test_an_expiry_is_kept(tenant, user_client):
    at = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    response = user_client(tenant.editor).post(
        URL, {"name": "CI", "expires_at": at.isoformat()}, format="json"
    )
    assert response.status_code == 201
    assert PersonalAccessToken.objects.get().expires_at == at


# --- The organization's two-factor rule ----------------------------------------------


def _require(tenant) -> None:
    organization = tenant.workspace.organization
    organization.require_two_factor = True
    organization.save()


def test_tokens_wait_for_enrolment_where_the_organization_requires_it(tenant):
    secret = _token(tenant.editor)  # made before the rule
    _require(tenant)
    refused = _bearer(secret).get("/api/v1/workspaces/")
    assert refused.status_code == 401
    assert "two-factor" in refused.json()["error"]["message"]
    with pytest.raises(Exception, match="two-factor"):
        personal_tokens.token_create(user=tenant.editor, name="New")

    enrol(tenant.editor)
    assert _bearer(secret).get("/api/v1/workspaces/").status_code == 200
    assert personal_tokens.token_create(user=tenant.editor, name="New").secret


def test_creating_a_token_before_enrolling_is_refused_in_the_api(tenant, user_client):
    _require(tenant)
    # The session itself is held at the set-up page: the API answers 403.
    client = APIClient()
    client.force_login(tenant.editor)
    response = client.post(URL, {"name": "CI"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"
    assert not PersonalAccessToken.objects.exists()


def test_owners_set_the_rule_through_the_api(tenant, user_client, key_client):
    organization = tenant.workspace.organization
    url = f"/api/v1/organizations/{organization.pk}/"
    owner = user_client(tenant.owner)
    first = owner.patch(url, {"require_two_factor": True}, format="json")
    assert first.status_code == 400
    assert "require_two_factor" in first.json()["error"]["fields"]

    enrol(tenant.owner)
    done = owner.patch(url, {"require_two_factor": True}, format="json")
    assert done.status_code == 200 and done.json()["require_two_factor"] is True
    assert owner.get(url).json()["require_two_factor"] is True
    for body in ({"require_two_factor": 0}, {"require_two_factor": "yes"}, {}):
        assert owner.patch(url, body, format="json").status_code == 400, body
    assert owner.patch(url, {"name": "x"}, format="json").status_code == 400

    editor = user_client(tenant.editor)
    enrol(tenant.editor)
    refused = editor.patch(url, {"require_two_factor": False}, format="json")
    assert refused.status_code == 403
    key = key_client(tenant.workspace)
    assert (
        key.patch(url, {"require_two_factor": False}, format="json").status_code == 403
    )
    organization.refresh_from_db()
    assert organization.require_two_factor


def test_another_organization_answers_404(tenant, other_tenant, user_client):
    enrol(tenant.owner)
    url = f"/api/v1/organizations/{other_tenant.workspace.organization_id}/"
    response = user_client(tenant.owner).patch(
        url, {"require_two_factor": True}, format="json"
    )
    assert response.status_code == 404
    other_tenant.workspace.organization.refresh_from_db()
    assert not other_tenant.workspace.organization.require_two_factor


def test_repeated_bad_tokens_are_throttled_like_bad_keys(tenant, settings):
    settings.API_KEY_FREE_FAILURES = 3
    good = _token(tenant.editor)
    bad = _bearer("adp_nope_0123456789")
    for _ in range(3):
        response = bad.get("/api/v1/workspaces/", REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 401
    response = bad.get("/api/v1/workspaces/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429 and response["Retry-After"]
    assert "Too many invalid tokens" in response.json()["error"]["message"]
    # The same address waits with a good token too; another address does not.
    client = _bearer(good)
    assert (
        client.get("/api/v1/workspaces/", REMOTE_ADDR="203.0.113.9").status_code == 429
    )
    assert (
        client.get("/api/v1/workspaces/", REMOTE_ADDR="198.51.100.7").status_code == 200
    )
