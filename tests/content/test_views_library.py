"""The media library page (`/content/`): uploads through the view (a refused
file says why and keeps nothing), filters, the detail page (renditions,
provenance, usage), editing alt text and tags, delete with confirmation (409
while a scheduled post uses the image), roles and tenancy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import PostStatus
from content import services
from content.images import PROVIDERS
from content.models import Asset, PostImage
from content.views.library import PROVIDER_NAMES
from tests.content.media import files_under, image_bytes, media_root, rendered
from tests.factories import ChannelAccountFactory, PostFactory

__all__ = ["media_root"]  # fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]
JSON = {"HTTP_ACCEPT": "application/json"}
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n"


def upload(tenant: Any, name: str = "x.png", tags: str = "", **kw: Any) -> Asset:
    asset, _ = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.owner,
        file=image_bytes(**kw),
        filename=name,
        tags=tags,
    )
    return rendered(asset)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_content_section_is_the_media_library(tenant: Any, web: Any) -> None:
    assert reverse("content") == "/content/"
    page = web(tenant.editor).get("/content/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Media library" in html and "isn\u2019t built yet" not in html
    assert "data-drop-zone" in html and 'type="file"' in html


def test_the_plain_form_uploads_every_file_and_names_the_refused_one(
    tenant: Any, web: Any, media_root: Path
) -> None:
    client = web(tenant.editor)
    response = client.post(
        reverse("asset-upload"),
        {
            "file": [
                SimpleUploadedFile("beans.png", image_bytes((64, 48))),
                SimpleUploadedFile("invoice.png", PDF),
            ],
            "tags": "Autumn, beans",
            "alt_text": "Roasted beans",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/content/"
    said = _messages(response)
    assert "beans.png uploaded." in said
    refused = [m for m in said if m.startswith("invoice.png: ")]
    assert len(refused) == 1 and "not" in refused[0].lower()
    asset = Asset.objects.get()
    assert asset.original_filename == "beans.png" and asset.alt_text == "Roasted beans"
    assert sorted(t.name for t in asset.tags.all()) == ["autumn", "beans"]
    assert f'data-asset="{asset.pk}"' in response.content.decode()


def test_the_script_gets_json_with_the_card_then_the_same_file_is_reused(
    tenant: Any, web: Any, media_root: Path
) -> None:
    client = web(tenant.editor)
    data = image_bytes((40, 40))
    first = client.post(
        reverse("asset-upload"), {"file": SimpleUploadedFile("a.png", data)}, **JSON
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["ok"] and body["created"] and body["file"] == "a.png"
    # The card says Processing and polls itself until the worker is done.
    assert "Processing" in body["card"]
    assert reverse("asset-card", args=[body["id"]]) in body["card"]
    rendered(Asset.objects.get(pk=body["id"]))
    again = client.post(
        reverse("asset-upload"), {"file": SimpleUploadedFile("b.png", data)}, **JSON
    )
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["id"] == body["id"]
    thumb_url = reverse("asset-file", args=[body["id"], "thumbnail"])
    assert thumb_url in again.json()["card"]
    thumb = client.get(reverse("asset-file", args=[body["id"], "thumbnail"]))
    assert thumb.status_code == 200 and thumb["Content-Type"].startswith("image/")
    assert b"".join(thumb.streaming_content)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")


@pytest.mark.parametrize(
    ("data", "code"),
    [(PDF, "not_image"), (image_bytes((300, 300), "BMP"), "too_large")],
    ids=["renamed-pdf", "too-large"],
)
def test_a_refused_upload_answers_its_message_and_keeps_nothing(
    tenant: Any, web: Any, media_root: Path, settings: Any, data: bytes, code: str
) -> None:
    settings.IMAGE_UPLOAD_MAX_BYTES = 100_000
    response = web(tenant.editor).post(
        reverse("asset-upload"),
        {"file": SimpleUploadedFile("photo.png", data)},
        **JSON,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["code"] == code and body["message"]
    assert Asset.objects.count() == 0
    assert files_under(media_root) == []


def test_filters_by_tag_source_and_text(
    tenant: Any, web: Any, media_root: Path
) -> None:
    summer = upload(tenant, "summer-beach.png", colour=(10, 20, 30), tags="Summer")
    plain = upload(tenant, "office.png", colour=(40, 50, 60))
    ai = upload(tenant, "gen.png", colour=(70, 80, 90))
    card = upload(tenant, "card.png", colour=(100, 110, 120))
    Asset.objects.filter(pk=ai.pk).update(
        source="generated", ai_generated=True, provider="diffusers", prompt="latte art"
    )
    Asset.objects.filter(pk=card.pk).update(source="generated", provider="template")
    client = web(tenant.reviewer)

    def shown(**params: str) -> set[int]:
        page = client.get(reverse("content"), params)
        assert page.status_code == 200
        return {a.pk for a in page.context["page"]}

    assert shown() == {summer.pk, plain.pk, ai.pk, card.pk}
    assert shown(tag="summer") == {summer.pk}
    assert shown(source="upload") == {summer.pk, plain.pk}
    assert shown(source="generated") == {ai.pk}
    assert shown(source="template") == {card.pk}
    assert shown(q="LATTE") == {ai.pk}
    assert shown(q="beach") == {summer.pk}
    assert shown(q="nothing-like-this") == set()
    grid = client.get(reverse("content"), {"tag": "summer"}, HTTP_HX_REQUEST="true")
    html = grid.content.decode()
    assert 'id="library-grid"' in html and "<html" not in html
    assert (
        f'data-asset="{summer.pk}"' in html and f'data-asset="{plain.pk}"' not in html
    )


def test_the_detail_page_shows_renditions_provenance_and_usage(
    tenant: Any, web: Any, media_root: Path
) -> None:
    ChannelAccountFactory(workspace=tenant.workspace, network="bluesky")
    asset = upload(tenant, "big.png", size=(1600, 1200))
    Asset.objects.filter(pk=asset.pk).update(
        source="generated",
        ai_generated=True,
        provider="openai",
        model="gpt-image-1",
        prompt="A latte on oak, warm light",
        seed=1234,
        provenance={"disclosure": {"label": "Made with AI", "networks": []}},
    )
    post = PostFactory(campaign__workspace=tenant.workspace, topic="Latte week")
    PostImage.objects.create(post=post, asset=asset, chosen=True)
    page = web(tenant.client).get(reverse("asset-detail", args=[asset.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    rendition = asset.renditions.get(network="bluesky", format="square")
    assert rendition.bytes <= 1_000_000
    assert 'data-rendition="bluesky-square"' in html
    assert f"{rendition.width}\u00d7{rendition.height}" in html
    assert f'title="{rendition.bytes} bytes"' in html
    assert reverse("rendition-file", args=[rendition.pk]) in html
    assert "Remote image API (OpenAI-compatible)" in html and "gpt-image-1" in html
    assert "A latte on oak, warm light" in html and "1234" in html
    assert "Made with AI" in html
    assert reverse("post-editor", args=[post.pk]) in html and "Latte week" in html
    # A client reads: no edit form, no delete link.
    assert 'name="alt_text"' not in html
    assert reverse("asset-delete", args=[asset.pk]) not in html
    served = web(tenant.client).get(reverse("rendition-file", args=[rendition.pk]))
    assert (
        served.status_code == 200 and served["Content-Type"] == rendition.content_type
    )


def test_every_provider_has_an_honest_name() -> None:
    assert set(PROVIDER_NAMES) == set(PROVIDERS)
    assert PROVIDER_NAMES["template"] == "Branded template card (no AI)"


def test_an_editor_edits_alt_text_and_tags(
    tenant: Any, web: Any, media_root: Path
) -> None:
    asset = upload(tenant, tags="old")
    client = web(tenant.editor)
    url = reverse("asset-detail", args=[asset.pk])
    assert 'name="alt_text"' in client.get(url).content.decode()
    done = client.post(url, {"alt_text": " A cup ", "tags": "Cups, Morning ,cups"})
    assert done.status_code == 302
    asset.refresh_from_db()
    assert asset.alt_text == "A cup"
    assert sorted(t.name for t in asset.tags.all()) == ["cups", "morning"]
    too_long = client.post(url, {"alt_text": "x", "tags": "y" * 60})
    assert too_long.status_code == 400
    assert "at most 50 characters" in too_long.content.decode()
    assert sorted(t.name for t in asset.tags.all()) == ["cups", "morning"]


def test_delete_asks_first_then_deletes_the_files(
    tenant: Any, web: Any, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    asset = upload(tenant)
    client = web(tenant.editor)
    url = reverse("asset-delete", args=[asset.pk])
    confirm = client.get(url)
    assert (
        confirm.status_code == 200 and "Delete this image?" in confirm.content.decode()
    )
    assert Asset.objects.filter(pk=asset.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, follow=True)
    assert done.redirect_chain[-1][0] == "/content/"
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert files_under(media_root) == []


def test_delete_is_refused_while_a_scheduled_post_uses_the_image(
    tenant: Any, web: Any, media_root: Path
) -> None:
    asset = upload(tenant)
    post = PostFactory(
        campaign__workspace=tenant.workspace, status=PostStatus.SCHEDULED
    )
    PostImage.objects.create(post=post, asset=asset, chosen=True)
    response = web(tenant.editor).post(reverse("asset-delete", args=[asset.pk]))
    assert response.status_code == 409
    html = response.content.decode()
    assert "used by a scheduled or published post" in html
    assert reverse("post-editor", args=[post.pk]) in html
    assert Asset.objects.filter(pk=asset.pk).exists()


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_reviewers_and_clients_read_but_do_not_change(
    tenant: Any, web: Any, media_root: Path, role: str
) -> None:
    asset = upload(tenant)
    client = web(tenant.person(role))
    page = client.get(reverse("content")).content.decode()
    assert f'data-asset="{asset.pk}"' in page and "data-drop-zone" not in page
    upload_file = SimpleUploadedFile("a.png", image_bytes(colour=(1, 2, 3)))
    assert (
        client.post(reverse("asset-upload"), {"file": upload_file}).status_code == 403
    )
    url = reverse("asset-detail", args=[asset.pk])
    assert client.post(url, {"alt_text": "hacked"}).status_code == 403
    assert client.get(reverse("asset-delete", args=[asset.pk])).status_code == 403
    assert client.post(reverse("asset-delete", args=[asset.pk])).status_code == 403
    asset.refresh_from_db()
    assert asset.alt_text == "" and Asset.objects.count() == 1


def test_another_workspaces_asset_is_a_404_everywhere(
    tenant: Any, other_tenant: Any, web: Any, media_root: Path
) -> None:
    theirs = upload(other_tenant, size=(1200, 1200))
    rendition = theirs.renditions.first()
    assert rendition is not None
    client = web(tenant.owner)
    for url in (
        reverse("asset-detail", args=[theirs.pk]),
        reverse("asset-delete", args=[theirs.pk]),
        reverse("asset-file", args=[theirs.pk, "thumbnail"]),
        reverse("asset-file", args=[theirs.pk, "original"]),
        reverse("rendition-file", args=[rendition.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("asset-delete", args=[theirs.pk])).status_code == 404
    listing = client.get(reverse("content"))
    assert theirs.pk not in {a.pk for a in listing.context["page"]}
    assert Asset.objects.filter(pk=theirs.pk).exists()
