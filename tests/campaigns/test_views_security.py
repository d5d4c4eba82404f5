"""Settings → Security: personal access tokens in the web UI (create shown once,
list, revoke), held back until enrolment where the organization requires it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.campaigns.twofactor_helpers import enrol
from workspaces.models import PersonalAccessToken
from workspaces.services import personal_tokens

pytestmark = pytest.mark.usefixtures("static_files")


def test_the_security_tab_is_in_settings_for_everyone(tenant, web):
    for role in ("owner", "editor", "client"):
        client = web(tenant.person(role), tenant.workspace)
        page = client.get(reverse("security"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Two-factor sign-in" in body and "Create a personal access token" in body
        assert reverse("security") in client.get(reverse("members")).content.decode()


def test_a_token_is_shown_once_then_listed_and_revoked(tenant, web):
    client = web(tenant.reviewer, tenant.workspace)
    response = client.post(
        reverse("token-create"), {"name": "Review bot", "expires": "30"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["issued"].secret
    assert secret in response.content.decode()
    token = PersonalAccessToken.objects.get(user=tenant.reviewer)
    assert token.expires_at is not None and secret not in token.token_hash

    page = client.get(reverse("security")).content.decode()
    assert secret not in page and f"adp_{token.prefix}_" in page
    assert "Review bot" in page

    revoked = client.post(reverse("token-revoke", args=[token.pk]))
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get(reverse("security")).content.decode()


def test_a_token_without_a_name_is_a_form_error(tenant, web):
    client = web(tenant.editor, tenant.workspace)
    response = client.post(reverse("token-create"), {"name": "", "expires": "30"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    bad = client.post(reverse("token-create"), {"name": "x", "expires": "forever"})
    assert bad.status_code == 400
    assert not PersonalAccessToken.objects.exists()


def test_another_persons_token_cannot_be_revoked(tenant, other_tenant, web):
    theirs = personal_tokens.token_create(user=other_tenant.owner, name="Theirs").token
    mine_colleague = personal_tokens.token_create(user=tenant.owner, name="Hers").token
    client = web(tenant.editor, tenant.workspace)
    for token in (theirs, mine_colleague):
        assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None
    assert "Theirs" not in client.get(reverse("security")).content.decode()


def test_tokens_wait_for_enrolment_where_required(tenant, web):
    organization = tenant.workspace.organization
    organization.require_two_factor = True
    organization.save()
    client = web(tenant.editor, tenant.workspace)
    # The whole page waits for the set-up, the form included.
    response = client.post(reverse("token-create"), {"name": "CI", "expires": "30"})
    assert response.status_code == 302
    assert response["Location"] == reverse("two-factor-setup")
    assert not PersonalAccessToken.objects.exists()

    enrol(tenant.editor)
    response = client.post(reverse("token-create"), {"name": "CI", "expires": "never"})
    assert response.status_code == 200
    assert PersonalAccessToken.objects.get().expires_at is None


def test_the_history_says_which_token_a_person_used(tenant, web):
    from rest_framework.test import APIClient

    from campaigns.models import PostStatus
    from tests.factories import PostFactory

    post = PostFactory(
        workspace=tenant.workspace,
        status=PostStatus.IN_REVIEW,
        submitted_by=tenant.editor,
    )
    secret = personal_tokens.token_create(user=tenant.reviewer, name="Review bot")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret.secret}")
    assert api.post(f"/api/v1/posts/{post.pk}/approve/", {}).status_code == 200
    page = web(tenant.editor, tenant.workspace).get(
        reverse("post-editor", args=[post.pk])
    )
    assert f"{tenant.reviewer.display_name} via token Review bot" in (
        page.content.decode()
    )
