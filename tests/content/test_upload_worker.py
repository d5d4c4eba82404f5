"""Uploads cost the request little: the original is checked and stored, the
thumbnail and renditions are made by the images worker
(`content.tasks.render_asset`), the library and the picker say "Processing"
until then, publishing cuts a still-processing image itself, and each
workspace has an upload budget per minute (429 with Retry-After, UI and API)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import PostStatus
from config.celery import app as celery_app
from content import services, tasks
from content.models import Asset, PostImage, RenditionsState
from content.services.asset_renditions import render_asset
from core.counters import Throttled
from networks import Capabilities
from publishing import delivery
from tests.content.media import files_under, image_bytes, media_root, rendered
from tests.factories import ConnectedAccountFactory, PostFactory
from workspaces.models import ApiKeyScope

__all__ = ["media_root"]  # fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]
URL = "/api/v1/assets/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> None:
    """A cache of this test's own: budgets spent by other tests do not count."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"abuse-media-{uuid.uuid4().hex}",
        }
    }


def upload(tenant: Any, size: tuple[int, int] = (800, 800), **kw: Any) -> Asset:
    asset, _ = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.editor,
        file=image_bytes(size, **kw),
        filename="photo.png",
    )
    return asset


def test_the_upload_stores_the_original_only_and_sends_the_task(
    tenant: Any,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(tasks.render_asset, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        asset = upload(tenant)
    assert files_under(media_root) == [Path(asset.file.path)]
    assert asset.renditions.count() == 0 and not asset.thumbnail
    assert asset.renditions_state == RenditionsState.PROCESSING
    assert (asset.width, asset.height) == (800, 800)
    assert sent == [asset.pk]
    route = celery_app.amqp.router.route({}, "content.tasks.render_asset")
    assert route["queue"].name == "images"


def test_the_task_makes_the_thumbnail_and_renditions_once(
    tenant: Any, media_root: Path
) -> None:
    asset = upload(tenant)
    tasks.render_asset(asset.pk)  # the Celery task's body, as the worker runs it
    asset.refresh_from_db()
    assert asset.renditions_state == RenditionsState.READY and asset.thumbnail
    assert {(r.network, r.format) for r in asset.renditions.all()} == {
        ("", "square"),
        ("", "landscape"),
    }
    assert len(files_under(media_root)) == 4  # original, thumbnail, 2 renditions
    assert render_asset(asset.pk) is False  # a redelivered message does nothing
    assert len(files_under(media_root)) == 4 and asset.renditions.count() == 2


def test_a_picture_that_cannot_be_cut_is_failed_not_stuck(
    tenant: Any, media_root: Path
) -> None:
    asset = upload(tenant)
    Path(asset.file.path).write_bytes(b"not an image any more")
    assert render_asset(asset.pk) is False
    asset.refresh_from_db()
    assert asset.renditions_state == RenditionsState.FAILED


def test_the_library_and_the_picker_show_processing(
    tenant: Any, web: Any, media_root: Path
) -> None:
    asset = upload(tenant)
    client = web(tenant.editor)
    page = client.get(reverse("content")).content.decode()
    assert "Processing" in page
    card = reverse("asset-card", args=[asset.pk])
    assert f'hx-get="{card}"' in page  # the card asks again until it is ready
    assert client.get(card).status_code == 200
    post = PostFactory(campaign__workspace=tenant.workspace)
    picker = client.get(reverse("post-image-picker", args=[post.pk])).content
    assert b"Processing" in picker

    rendered(asset)
    page = client.get(reverse("content")).content.decode()
    assert f'hx-get="{card}"' not in page
    assert reverse("asset-file", args=[asset.pk, "thumbnail"]) in page


def test_the_api_says_processing_until_the_worker_is_done(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    client = user_client(tenant.editor)
    response = client.post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "file": SimpleUploadedFile("p.png", image_bytes((800, 800))),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["renditions_state"] == "processing"
    assert body["renditions"] == [] and body["thumbnail_url"] is None
    rendered(Asset.objects.get(pk=body["id"]))
    again = client.get(f"{URL}{body['id']}/").json()
    assert again["renditions_state"] == "ready" and len(again["renditions"]) == 2


def test_publishing_cuts_a_still_processing_image_itself(
    tenant: Any, media_root: Path
) -> None:
    asset = upload(tenant, (1300, 1300))
    account = ConnectedAccountFactory(workspace=tenant.workspace, network="mastodon")
    post = PostFactory(campaign__workspace=tenant.workspace, body="Hi.")
    post.accounts.set([account])
    PostImage.objects.create(post=post, asset=asset, position=0, chosen=True)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["status"])
    [publication] = delivery.publication_create_for_post(post)

    class Connector:
        capabilities = Capabilities(threads=False, max_images=4)

    request = delivery.build_request(publication, connector=Connector())
    asset.refresh_from_db()
    assert asset.renditions_state == RenditionsState.READY
    [item] = request.media
    chosen = asset.renditions.get(file=Path(item.path).relative_to(media_root))
    assert chosen.network == "mastodon"


def test_the_upload_budget_per_workspace_answers_429(
    tenant: Any, other_tenant: Any, key_client: Any, web: Any, settings: Any,
    media_root: Path,
) -> None:  # fmt: skip
    settings.MEDIA_UPLOADS_PER_MINUTE = 2
    api = key_client(tenant.workspace, ApiKeyScope.WRITE)

    def api_upload(colour: tuple[int, int, int]) -> Any:
        body = {
            "workspace": tenant.workspace.pk,
            "file": SimpleUploadedFile("a.png", image_bytes((64, 64), colour=colour)),
        }
        return api.post(URL, body, format="multipart")

    assert api_upload((1, 1, 1)).status_code == 201
    assert api_upload((2, 2, 2)).status_code == 201
    refused = api_upload((3, 3, 3))
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "upload_rate" and "Try again in" in error["message"]
    assert 0 < int(refused["Retry-After"]) <= 60
    # The UI is the same budget.
    ui = web(tenant.editor).post(
        reverse("asset-upload"),
        {"file": SimpleUploadedFile("b.png", image_bytes((64, 64), colour=(4, 4, 4)))},
        **JSON,
    )
    assert ui.status_code == 429 and ui.json()["code"] == "upload_rate"
    assert int(ui["Retry-After"]) > 0
    assert Asset.objects.filter(workspace=tenant.workspace).count() == 2
    # Another workspace has a budget of its own.
    _, created = services.asset_upload(
        workspace=other_tenant.workspace,
        by=other_tenant.editor,
        file=image_bytes((64, 64)),
        filename="theirs.png",
    )
    assert created


def test_the_megapixel_budget_counts_the_declared_size_before_decoding(
    tenant: Any, settings: Any, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MEDIA_MEGAPIXELS_PER_MINUTE = 3
    upload(tenant, (1200, 1200))  # 2 megapixels (rounded up)
    decoded: list[str] = []
    monkeypatch.setattr(
        "content.services.asset_uploads.inspect_upload",
        lambda *a, **k: decoded.append("x"),
    )
    with pytest.raises(Throttled) as info:
        upload(tenant, (1200, 1200), colour=(9, 9, 9))
    assert info.value.code == "upload_rate" and info.value.retry_after > 0
    assert decoded == []  # refused from the header, nothing decoded
    assert Asset.objects.count() == 1


def test_one_image_larger_than_the_whole_budget_still_goes_through(
    tenant: Any, settings: Any, media_root: Path
) -> None:
    settings.MEDIA_MEGAPIXELS_PER_MINUTE = 1
    assert upload(tenant, (1500, 1500)).pk  # 3 megapixels, alone in its minute


def test_a_png_without_metadata_is_kept_as_is_and_one_with_it_is_cleaned(
    tenant: Any, media_root: Path
) -> None:
    from PIL import Image, PngImagePlugin

    # compress_level=1: a re-encode (level 6) would give other bytes.
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (1, 2, 3)).save(out, "PNG", compress_level=1)
    clean = out.getvalue()
    asset = upload_bytes(tenant, clean)
    assert Path(asset.file.path).read_bytes() == clean  # not re-encoded

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "shot at 52.52N 13.40E")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (9, 8, 7)).save(
        out, "PNG", pnginfo=info, exif=exif.tobytes()
    )
    tagged = upload_bytes(tenant, out.getvalue())
    stored = Path(tagged.file.path).read_bytes()
    assert b"52.52N" not in stored and b"SecretCam" not in stored
    assert b"tEXt" not in stored and b"eXIf" not in stored


def upload_bytes(tenant: Any, data: bytes) -> Asset:
    asset, _ = services.asset_upload(
        workspace=tenant.workspace, by=tenant.editor, file=data, filename="p.png"
    )
    return asset


def test_an_upload_whose_message_was_lost_is_sent_again_by_the_polling_card(
    tenant: Any, web: Any, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(tasks.render_asset, "delay", sent.append)
    asset = upload(tenant)
    client = web(tenant.editor)
    card = reverse("asset-card", args=[asset.pk])
    assert client.get(card).status_code == 200
    assert sent == []  # just uploaded: the first message is still on its way
    Asset.objects.filter(pk=asset.pk).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )
    client.get(card)
    client.get(card)
    assert sent == [asset.pk]  # once, however often it is polled


def test_a_38_megapixel_png_of_a_few_kilobytes_costs_the_request_one_file(
    tenant: Any, media_root: Path
) -> None:
    # The upload: just under content.uploads.MAX_PIXELS, tiny on disk.
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (7600, 5000), (200, 30, 30)).save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 200_000
    asset = upload_bytes(tenant, out.getvalue())
    assert files_under(media_root) == [Path(asset.file.path)]
    assert asset.renditions_state == RenditionsState.PROCESSING
    assert asset.renditions.count() == 0
