"""A failed publication offers what can fix it (issue 9): "Retry" only where a
retry can help; "Edit" (the copy, on that channel's tab) or "Reconnect" (the
account) otherwise, with the API's retry answering 409 and the reason. And an
edit of the copy after publishing started holds only that network's
publications for a review (`publishing.publication_review`), with the rules of
post approval: reviewers, clients, admins and owners approve, never the person
who edited it; another workspace's publication is 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from campaigns.models import PostStatus
from connections.models import AccountStatus, ChannelAccount, Network
from content.services.variants import rule_report_for, variant_update_text
from core.errors import ConflictError
from networks import ConnectorError, PublishResult
from publishing import delivery, dispatcher
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from publishing.publication_review import publication_approve
from tests.channels.test_publications import ScriptedConnector, run, scripted  # noqa: F401
from tests.factories import ConnectedAccountFactory, PostFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/publications/"


def _post(tenant, *networks, approval=True):
    """A post of `tenant` due now on one connected account per network, with a
    chosen variant each; its publications."""
    from content.models import Variant

    tenant.workspace.approval_required = approval
    tenant.workspace.save()
    accounts = [
        ConnectedAccountFactory(workspace=tenant.workspace, network=n) for n in networks
    ]
    post = PostFactory(
        campaign__workspace=tenant.workspace,
        accounts=accounts,
        body="Fresh beans today.",
        scheduled_at=timezone.now() - timedelta(seconds=1),
        status=PostStatus.SCHEDULED,
    )
    for network in networks:
        variant = Variant.objects.create(
            workspace=tenant.workspace,
            post=post,
            network=network,
            label="A",
            text=f"Fresh beans on {network}.",
            status="chosen",
            gate_passed=True,
        )
        variant.rule_report = rule_report_for(variant, variant.text)
        variant.save(update_fields=["rule_report"])
    pubs = delivery.publication_create_for_post(post)
    return post, {p.network: p for p in pubs}


def _fresh(pub: Publication) -> Publication:
    return Publication.objects.select_related("account", "workspace").get(pk=pub.pk)


def _page(web, person, post) -> str:
    return web(person).get(reverse("post-editor", args=[post.pk])).content.decode()


# --- What fixes a failure ------------------------------------------------------------


def test_copy_the_network_refuses_offers_edit_not_retry(
    scripted,  # noqa: F811
    tenant,
    web,
    user_client,
    monkeypatch,
) -> None:
    post, pubs = _post(tenant, Network.MASTODON)
    monkeypatch.setattr(
        ScriptedConnector, "validate", lambda self, r: ["Too long: 600 of 500."]
    )
    assert run(pubs["mastodon"]) == "failed"
    pub = _fresh(pubs["mastodon"])
    assert (pub.status, pub.error_kind) == (PS.FAILED, "invalid")
    assert scripted.calls == []  # refused before any call: the last guard

    response = user_client(tenant.editor).post(f"{URL}{pub.pk}/retry/")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "not_retryable" and error["fix"] == "edit"
    assert "edit the copy" in error["message"] and "retry" not in error["allowed"]
    assert _fresh(pub).status == PS.FAILED

    html = _page(web, tenant.editor, post)
    assert f"/posts/{post.pk}/#tab-mastodon" in html
    assert "Edit the Mastodon copy" in html
    assert f"/publications/{pub.pk}/retry/" not in html


def test_the_post_offers_no_retry_either_when_no_retry_can_help(
    scripted,  # noqa: F811
    tenant,
    web,
    user_client,
    monkeypatch,
) -> None:
    from campaigns import lifecycle

    post, pubs = _post(tenant, Network.MASTODON)
    monkeypatch.setattr(
        ScriptedConnector, "validate", lambda self, r: ["Too long: 600 of 500."]
    )
    run(pubs["mastodon"])
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert "retry" not in lifecycle.allowed_actions(post, tenant.editor)
    assert f"/posts/{post.pk}/retry/" not in _page(web, tenant.editor, post)
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/retry/")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "not_retryable" and "edit the copy" in error["message"]


def test_the_post_still_offers_retry_when_it_can_help(
    scripted,  # noqa: F811
    tenant,
    settings,
) -> None:
    from campaigns import lifecycle

    settings.PUBLISH_RETRY_DEADLINE_SECONDS = 0
    post, pubs = _post(tenant, Network.MASTODON)
    scripted.script = [ConnectorError("Down.", kind="transient")]
    run(pubs["mastodon"])
    post.refresh_from_db()
    assert "retry" in lifecycle.allowed_actions(post, tenant.editor)


def test_an_account_without_credentials_offers_reconnect(
    scripted,  # noqa: F811
    tenant,
    web,
    user_client,
) -> None:
    post, pubs = _post(tenant, Network.MASTODON)
    ChannelAccount.objects.filter(pk=pubs["mastodon"].account_id).update(
        credentials=None
    )
    assert run(pubs["mastodon"]) == "failed"
    pub = _fresh(pubs["mastodon"])
    assert pub.error_kind == "credentials" and scripted.calls == []
    error = user_client(tenant.editor).post(f"{URL}{pub.pk}/retry/").json()["error"]
    assert (error["code"], error["fix"]) == ("not_retryable", "reconnect")
    owner_page = _page(web, tenant.owner, post)
    assert f"Reconnect {pub.account.name}" in owner_page
    assert f"/publications/{pub.pk}/retry/" not in owner_page
    # An editor cannot reconnect: the page says who can.
    assert "Ask an owner or admin to reconnect" in _page(web, tenant.editor, post)


def test_revoked_credentials_offer_reconnect_then_retry_once_reconnected(
    scripted,  # noqa: F811
    tenant,
    user_client,
) -> None:
    _, pubs = _post(tenant, Network.MASTODON)
    scripted.script = [
        ConnectorError("The token was revoked.", kind="permanent", reconnect=True),
        PublishResult("9"),
    ]
    run(pubs["mastodon"])
    pub = _fresh(pubs["mastodon"])
    assert pub.error_kind == "auth"
    assert pub.account.status == AccountStatus.NEEDS_RECONNECT
    with pytest.raises(ConflictError, match="reconnect"):
        delivery.publication_retry(pub, by=tenant.editor)

    ChannelAccount.objects.filter(pk=pub.account_id).update(
        status=AccountStatus.CONNECTED, connected_at=timezone.now()
    )
    pub = _fresh(pub)
    body = user_client(tenant.editor).get(f"{URL}{pub.pk}/").json()
    assert body["fix"] == "retry" and "retry" in body["allowed_actions"]
    assert delivery.publication_retry(pub, by=tenant.editor).status == PS.SCHEDULED


def test_a_transient_failure_still_offers_retry(
    scripted,  # noqa: F811
    tenant,
    settings,
    web,
) -> None:
    settings.PUBLISH_RETRY_DEADLINE_SECONDS = 0
    post, pubs = _post(tenant, Network.MASTODON)
    scripted.script = [ConnectorError("Down.", kind="transient")]
    run(pubs["mastodon"])
    pub = _fresh(pubs["mastodon"])
    assert pub.error_kind == "transient"
    html = _page(web, tenant.editor, post)
    assert (
        f"/publications/{pub.pk}/retry/" in html
        and "Edit the Mastodon copy" not in html
    )


def test_without_required_approval_an_edit_makes_the_failure_retryable(
    scripted,  # noqa: F811
    tenant,
) -> None:
    from content.models import Variant

    post, pubs = _post(tenant, Network.MASTODON, approval=False)
    scripted.script = [ConnectorError("Refused.", kind="permanent")]
    run(pubs["mastodon"])
    pub = _fresh(pubs["mastodon"])
    assert pub.error_kind == "permanent"
    variant = Variant.objects.get(post=post, network="mastodon")
    variant_update_text(variant=variant, by=tenant.editor, text="Shorter beans.")
    pub = _fresh(pub)
    assert (pub.status, pub.error_kind) == (PS.FAILED, "edited")
    again = delivery.publication_retry(pub, by=tenant.editor)
    assert again.status == PS.SCHEDULED and again.variant_id == variant.pk


# --- One publication's copy back to review ------------------------------------------


@pytest.fixture
def partly(scripted, tenant):  # noqa: F811
    """Mastodon published, Bluesky failed on its copy: partly published."""
    post, pubs = _post(tenant, Network.MASTODON, Network.BLUESKY)
    scripted.script = [
        PublishResult("1"),
        ConnectorError("Bluesky refused the text.", kind="permanent"),
    ]
    run(pubs["mastodon"])
    run(pubs["bluesky"])
    post.refresh_from_db()
    assert post.status == PostStatus.PARTLY_PUBLISHED
    return post, _fresh(pubs["mastodon"]), _fresh(pubs["bluesky"])


def _edit(post, network, by, text="New copy."):
    from content.models import Variant

    variant = Variant.objects.get(post=post, network=network, status="chosen")
    variant_update_text(variant=variant, by=by, text=text)
    return variant


def test_editing_the_failed_networks_copy_sends_only_it_to_review(
    partly, tenant
) -> None:
    post, mastodon, bluesky = partly
    _edit(post, "bluesky", tenant.editor)
    post.refresh_from_db()
    bluesky, mastodon = _fresh(bluesky), _fresh(mastodon)
    assert bluesky.status == PS.NEEDS_REVIEW
    assert bluesky.review_requested_by == tenant.editor
    assert mastodon.status == PS.PUBLISHED  # only that network's copy
    # The post keeps its status: not back to review as a whole.
    assert post.status == PostStatus.PARTLY_PUBLISHED
    assert not post.history.filter(to_status=PostStatus.IN_REVIEW).exists()
    # The dispatcher never claims a publication whose copy waits for review.
    Publication.objects.filter(pk=bluesky.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    assert dispatcher.claim_due() == []


def test_a_reviewer_approves_and_only_that_publication_goes_out(
    partly,
    tenant,
    scripted,  # noqa: F811
) -> None:
    post, mastodon, bluesky = partly
    variant = _edit(post, "bluesky", tenant.editor)
    with pytest.raises(PermissionDenied):  # editors do not approve
        publication_approve(_fresh(bluesky), by=tenant.editor)
    released = publication_approve(_fresh(bluesky), by=tenant.reviewer)
    assert released.status == PS.SCHEDULED and released.due_override
    assert released.variant_id == variant.pk and released.error == ""
    assert dispatcher.claim_due() == [bluesky.pk]
    scripted.script = [PublishResult("2")]
    assert delivery.publication_publish(bluesky.pk) == "published"
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert _fresh(mastodon).attempts == 1  # never sent again


def test_nobody_approves_their_own_edit(partly, tenant) -> None:
    post, _, bluesky = partly
    _edit(post, "bluesky", tenant.admin)
    with pytest.raises(PermissionDenied, match="someone else"):
        publication_approve(_fresh(bluesky), by=tenant.admin)
    assert publication_approve(_fresh(bluesky), by=tenant.owner).status == PS.SCHEDULED


def test_approving_a_publication_not_in_review_is_409(partly, tenant) -> None:
    _, mastodon, _ = partly
    with pytest.raises(ConflictError, match="no copy waiting"):
        publication_approve(mastodon, by=tenant.reviewer)


def test_the_api_approves_with_the_same_rules(
    partly, tenant, user_client, key_client
) -> None:
    post, _, bluesky = partly
    _edit(post, "bluesky", tenant.admin)
    url = f"{URL}{bluesky.pk}/approve/"
    reviewer = user_client(tenant.reviewer)
    assert reviewer.get(f"{URL}{bluesky.pk}/").json()["allowed_actions"] == ["approve"]
    editor_view = user_client(tenant.editor).get(f"{URL}{bluesky.pk}/").json()
    assert editor_view["status"] == "needs_review"
    assert editor_view["allowed_actions"] == ["cancel"]
    assert user_client(tenant.editor).post(url).status_code == 403
    assert user_client(tenant.admin).post(url).status_code == 403  # own edit
    assert (
        key_client(tenant.workspace).post(url).status_code == 403
    )  # keys do not approve
    response = user_client(tenant.client).post(url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "scheduled"
    again = reviewer.post(url)
    assert again.status_code == 409
    assert again.json()["error"]["status"] == "scheduled"


def test_the_ui_approves_from_the_post_page(partly, tenant, web) -> None:
    post, _, bluesky = partly
    _edit(post, "bluesky", tenant.editor)
    editor_page = _page(web, tenant.editor, post)
    assert "waits for a reviewer" not in editor_page  # the note's wording below
    assert "goes out once a reviewer approves it" in editor_page
    assert "Approve this copy" not in editor_page
    assert "Approve this copy" in _page(web, tenant.reviewer, post)
    response = web(tenant.reviewer).post(
        reverse("publication-action", args=[bluesky.pk, "approve"])
    )
    assert response.status_code == 302
    assert _fresh(bluesky).status == PS.SCHEDULED


def test_another_workspaces_publication_is_not_found(
    partly, tenant, other_tenant, user_client, web
) -> None:
    post, _, bluesky = partly
    _edit(post, "bluesky", tenant.editor)
    for action in ("approve", "retry", "publish-now", "cancel"):
        api = user_client(other_tenant.owner).post(f"{URL}{bluesky.pk}/{action}/")
        assert api.status_code == 404, action
        page = web(other_tenant.owner).post(
            reverse("publication-action", args=[bluesky.pk, action])
        )
        assert page.status_code == 404, action
    assert _fresh(bluesky).status == PS.NEEDS_REVIEW
