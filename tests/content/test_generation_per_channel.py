"""Generating for one channel touches that channel only (issue 9): the editor's
tab and the API name the network, the job writes for it alone, the other
networks' variants stay exactly as they were."""

from __future__ import annotations

import pytest
from django.urls import reverse

from content.models import Generation, Variant
from tests.content.conftest import post_with_channels, run
from workspaces.models import ApiKeyScope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]
HX = {"HTTP_HX_REQUEST": "true"}


def _generate_url(post) -> str:
    return f"/api/v1/posts/{post.pk}/generate/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _snapshot(post, network: str) -> list[tuple]:
    return list(
        Variant.objects.filter(post=post, network=network)
        .order_by("pk")
        .values_list("pk", "label", "text", "status")
    )


def test_api_generate_for_one_network_leaves_the_others_alone(tenant, user_client):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    client = user_client(tenant.editor)
    first = client.post(_generate_url(post), {"network": "mastodon", "count": 2})
    assert first.status_code == 202, first.content
    assert first.json()["networks"] == ["mastodon"]
    run(Generation.objects.get(pk=first.json()["id"]))
    mastodon = _snapshot(post, "mastodon")
    assert len(mastodon) == 2 and _snapshot(post, "x") == []

    response = client.post(_generate_url(post), {"network": "x", "count": 3})
    assert response.status_code == 202, response.content
    body = response.json()
    x_account = post.accounts.get(network="x")
    assert body["networks"] == ["x"] and body["accounts"] == [x_account.pk]
    run(Generation.objects.get(pk=body["id"]))
    assert len(_snapshot(post, "x")) == 3
    assert _snapshot(post, "mastodon") == mastodon


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"network": "myspace"}, "network", "is not a valid choice"),
        ({"network": "bluesky"}, "network", "This post has no Bluesky channel"),
        ({"network": "x", "accounts": "MASTODON"}, "accounts", "only accounts on X"),
    ],
)
def test_bad_network_is_400_with_the_field_and_nothing_queued(
    tenant, user_client, data, field, message
):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    if data.get("accounts") == "MASTODON":
        data = {**data, "accounts": [post.accounts.get(network="mastodon").pk]}
    response = user_client(tenant.editor).post(_generate_url(post), data)
    fields = _error(response, 400)["fields"]
    assert message in " ".join(fields[field])
    assert not Generation.objects.filter(post=post).exists()


def test_readers_read_keys_and_other_tenants_cannot_generate_per_network(
    tenant, other_tenant, user_client, key_client
):
    post = post_with_channels(tenant.workspace, "x")
    body = {"network": "x"}
    _error(user_client(tenant.reviewer).post(_generate_url(post), body), 403)
    read = key_client(tenant.workspace, ApiKeyScope.READ)
    _error(read.post(_generate_url(post), body), 403)
    _error(user_client(other_tenant.owner).post(_generate_url(post), body), 404)
    assert (
        key_client(tenant.workspace).post(_generate_url(post), body).status_code == 202
    )
    assert Generation.objects.filter(post=post).count() == 1


def test_the_job_stores_only_the_networks_it_was_asked_for(tenant):
    """The last guard: whatever the writer answers, a job asked for X never
    stores a Mastodon variant (here the row names X while its account writes
    Mastodon, as a confused writer would)."""
    from content import services

    post = post_with_channels(tenant.workspace, "mastodon", "x")
    mastodon = post.accounts.get(network="mastodon")
    generation = services.generation_request(
        post=post, by=tenant.editor, network="mastodon", count=2
    )
    Generation.objects.filter(pk=generation.pk).update(networks=["x"])
    generation = run(generation)
    assert generation.status == "succeeded"
    assert generation.accounts == [mastodon.pk]
    assert not Variant.objects.filter(post=post).exists()


# --- The editor: one generate form per tab ----------------------------------------


def test_each_tab_has_its_own_generate_form_for_its_network(client, tenant):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    client.force_login(tenant.editor)
    html = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    for network, label in (("mastodon", "Mastodon"), ("x", "X")):
        tab = html[html.index(f'id="tabpanel-{network}"') :]
        tab = tab[: tab.index("</form>")]
        assert f'data-generate-network="{network}"' in tab
        assert f'name="network" value="{network}"' in tab
        assert f'id="id_generate_{network}_count"' in tab
        assert f"Generate {label} variants" in tab
        assert html.count(f'id="id_generate_{network}_count"') == 1


def test_generate_from_a_tab_writes_that_channel_only(client, tenant):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    client.force_login(tenant.editor)
    url = reverse("variants-generate", args=[post.pk])
    response = client.post(url, {"count": 2, "network": "mastodon"}, **HX)
    assert response.status_code == 200
    run(Generation.objects.get(post=post))
    mastodon = _snapshot(post, "mastodon")
    response = client.post(url, {"count": 3, "network": "x"}, **HX)
    assert response.status_code == 200
    run(Generation.objects.filter(post=post).latest("pk"))
    assert len(_snapshot(post, "x")) == 3
    assert _snapshot(post, "mastodon") == mastodon


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": 2}, b"Generate from a channel&#x27;s tab."),
        ({"count": 2, "network": "myspace"}, b"not one of the available choices"),
        ({"count": 2, "network": "bluesky"}, b"This post has no Bluesky channel"),
    ],
)
def test_a_request_without_a_valid_tab_is_400_with_the_reason(
    client, tenant, data, message
):
    post = post_with_channels(tenant.workspace, "x")
    client.force_login(tenant.editor)
    response = client.post(reverse("variants-generate", args=[post.pk]), data, **HX)
    assert response.status_code == 400
    assert message in response.content
    assert not Generation.objects.filter(post=post).exists()


def test_a_bad_count_comes_back_on_its_own_tab(client, tenant):
    post = post_with_channels(tenant.workspace, "mastodon", "x")
    client.force_login(tenant.editor)
    response = client.post(
        reverse("variants-generate", args=[post.pk]),
        {"count": 9, "network": "x"},
        **HX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    x_tab = html[html.index('id="tabpanel-x"') :]
    mastodon_tab = html[
        html.index('id="tabpanel-mastodon"') : html.index('id="tabpanel-x"')
    ]
    assert 'class="error"' in x_tab[: x_tab.index("</form>")]
    assert 'class="error"' not in mastodon_tab
