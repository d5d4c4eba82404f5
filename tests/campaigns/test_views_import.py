"""The CSV upload page: all rows or none, a table of row errors, roles, tenancy."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Post, PostOrigin
from tests.factories import CampaignFactory
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")


def _file(text: str, name: str = "posts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def campaign(tenant):
    return CampaignFactory(workspace=tenant.workspace, name="Spring", channels=1)


def test_the_page_documents_every_column(tenant, web):
    body = web(tenant.editor).get(reverse("posts-import")).content.decode()
    for column in ("campaign", "topic", "scheduled_at", "accounts", "pillar"):
        assert f"<code>{column}</code>" in body
    assert "Either every row is imported, or none is" in body


def test_a_good_file_imports_every_row_and_links_to_the_calendar(tenant, web, campaign):
    csv_text = "campaign,topic,angle\nSpring,Meet the roaster,Portrait\nSpring,Beans,\n"
    response = web(tenant.editor).post(
        reverse("posts-import"), {"file": _file(csv_text)}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 posts imported" in body
    assert reverse("calendar") in body
    posts = Post.objects.filter(campaign=campaign)
    assert sorted(posts.values_list("topic", flat=True)) == [
        "Beans",
        "Meet the roaster",
    ]
    assert {p.origin for p in posts} == {PostOrigin.IMPORT}


def test_the_chosen_campaign_takes_rows_without_one(tenant, web, campaign):
    response = web(tenant.editor).post(
        reverse("posts-import"),
        {"file": _file("topic\nOnly a topic\n"), "campaign": campaign.pk},
    )
    assert "1 post imported" in response.content.decode()
    assert f"/calendar/?campaign={campaign.pk}" in response.content.decode()
    assert Post.objects.get().campaign == campaign


def test_one_bad_row_imports_nothing_and_lists_line_column_message(
    tenant, web, campaign
):
    csv_text = (
        "campaign,topic,link\n"
        "Spring,Fine,https://example.test/\n"
        "Spring,,https://example.test/\n"
        "Nope,Fine too,ftp://x\n"
    )
    response = web(tenant.editor).post(
        reverse("posts-import"), {"file": _file(csv_text)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "<td>3</td><td><code>topic</code></td>" in body
    assert "<td>4</td><td><code>campaign</code></td>" in body
    assert "<td>4</td><td><code>link</code></td>" in body
    assert not Post.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(tenant, web, campaign):
    response = web(tenant.editor).post(
        reverse("posts-import"),
        {"file": SimpleUploadedFile("p.csv", "topic\ncafé\n".encode("latin-1"))},
    )
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    response = web(tenant.editor).post(reverse("posts-import"), {})
    assert response.status_code == 400
    assert not Post.objects.exists()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_readers_cannot_import(tenant, web, campaign, role):
    client = web(tenant.person(role))
    assert client.get(reverse("posts-import")).status_code == 403
    response = client.post(
        reverse("posts-import"), {"file": _file("campaign,topic\nSpring,X\n")}
    )
    assert response.status_code == 403
    assert not Post.objects.exists()


def test_another_workspaces_campaign_is_neither_offered_nor_used(
    tenant, other_tenant, web, campaign
):
    theirs = CampaignFactory(workspace=other_tenant.workspace, name="Theirs")
    client = web(tenant.editor)
    assert "Theirs" not in client.get(reverse("posts-import")).content.decode()
    response = client.post(
        reverse("posts-import"), {"file": _file("topic\nX\n"), "campaign": theirs.pk}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("posts-import"), {"file": _file(f"campaign,topic\n{theirs.pk},X\n")}
    )
    assert response.status_code == 400
    assert not Post.objects.exists()
