"""The media library's services: upload (checked, cleaned, deduplicated; cut
into renditions by the images worker's task), tags and search, attach and
usage, delete."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from campaigns.models import PostStatus
from content import services
from content.models import (
    Asset,
    AssetSource,
    AssetTag,
    PostImage,
    Rendition,
    RenditionsState,
)
from content.renditions import NETWORK_IMAGE_LIMITS
from content.services import asset_uploads
from content.services.assets import clean_tags
from content.tasks import render_asset
from core.errors import ConflictError
from tests.content.media import files_under, image_bytes, media_root, rendered
from tests.factories import ChannelAccountFactory, PostFactory

__all__ = ["media_root"]  # fixture

pytestmark = pytest.mark.django_db


def upload(tenant: Any, data: bytes, name: str = "photo.png", **kw: Any) -> Asset:
    """Upload, then run the worker's rendition task as the images queue would."""
    asset, _ = services.asset_upload(
        workspace=tenant.workspace, by=tenant.editor, file=data, filename=name, **kw
    )
    return rendered(asset)


def test_upload_keeps_a_clean_file_a_thumbnail_and_the_generic_renditions(
    tenant: Any, media_root: Path
) -> None:
    data = image_bytes((800, 800), "PNG")
    asset, created = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.editor,
        file=io.BytesIO(data),
        filename="../../etc/Summer Latte.png",
        alt_text=" A latte ",
        tags=["Summer", "summer ", "Product Shots"],
    )
    assert created
    asset = rendered(asset)
    assert asset.source == AssetSource.UPLOAD and not asset.ai_generated
    assert asset.original_filename == "Summer Latte.png"
    assert (asset.width, asset.height) == (800, 800)
    assert asset.content_type == "image/png" and asset.byte_size > 0
    assert len(asset.checksum) == 64 and asset.alt_text == "A latte"
    assert sorted(asset.tags.values_list("name", flat=True)) == [
        "product shots",
        "summer",
    ]
    assert asset.created_by == tenant.editor
    with Image.open(asset.thumbnail.path) as thumb:
        assert max(thumb.size) == 400
    # No channels: the generic formats an 800x800 source can fill without
    # being enlarged more than 1.5x; the others are skipped, not blown up.
    cuts = {(r.network, r.format): r for r in asset.renditions.all()}
    assert set(cuts) == {("", "square"), ("", "landscape")}
    square = cuts[("", "square")]
    assert (square.width, square.height) == (1080, 1080)
    with Image.open(square.file.path) as img:
        assert img.size == (1080, 1080)
    assert square.bytes == Path(square.file.path).stat().st_size
    assert all(p.is_relative_to(media_root) for p in files_under(media_root))


def test_upload_makes_each_channel_networks_renditions_within_its_limits(
    tenant: Any, media_root: Path
) -> None:
    ChannelAccountFactory(workspace=tenant.workspace, network="bluesky")
    asset = upload(tenant, image_bytes((1300, 1300), "JPEG"), "big.jpg")
    cuts = list(asset.renditions.all())
    assert {r.network for r in cuts} == {"bluesky"}
    assert [r.format for r in cuts] == sorted(NETWORK_IMAGE_LIMITS["bluesky"].formats)
    assert all(r.bytes <= 1_000_000 for r in cuts)


def test_upload_strips_exif_and_gps(tenant: Any, media_root: Path) -> None:
    data = image_bytes((64, 48), "JPEG", exif_gps=True)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif()  # the fixture really carries EXIF
    asset = upload(tenant, data, "gps.jpg")
    with Image.open(asset.file.path) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info
    assert asset.renditions.count() == 0  # too small for any format


def test_the_same_file_twice_is_one_asset_with_both_uploads_tags(
    tenant: Any, media_root: Path
) -> None:
    data = image_bytes()
    first, created = services.asset_upload(
        workspace=tenant.workspace, by=tenant.editor, file=data, filename="a.png"
    )
    on_disk = files_under(media_root)
    second, again = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.owner,
        file=data,
        filename="copy-of-a.png",
        tags=["reused"],
        alt_text="Now with alt text",
    )
    assert created and not again
    assert second.pk == first.pk and Asset.objects.count() == 1
    assert files_under(media_root) == on_disk
    assert list(second.tags.values_list("name", flat=True)) == ["reused"]
    assert Asset.objects.get().alt_text == "Now with alt text"


def test_the_same_file_in_another_workspace_is_its_own_asset(
    tenant: Any, other_tenant: Any, media_root: Path
) -> None:
    data = image_bytes()
    mine = upload(tenant, data)
    theirs = upload(other_tenant, data)
    assert mine.pk != theirs.pk and mine.checksum == theirs.checksum


def test_a_rejected_upload_leaves_no_file_and_no_row(
    tenant: Any, media_root: Path
) -> None:
    with pytest.raises(services.UploadRejected) as info:
        upload(tenant, b"%PDF-1.7 not an image at all", "invoice.png")
    assert info.value.code == "not_image"
    assert Asset.objects.count() == 0 and files_under(media_root) == []


def test_a_failure_while_storing_removes_the_files_already_written(
    tenant: Any, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    # In the request: the original is written, then the row fails.
    monkeypatch.setattr(asset_uploads, "tag_rows", boom)
    with pytest.raises(RuntimeError):
        services.asset_upload(
            workspace=tenant.workspace,
            by=tenant.editor,
            file=image_bytes((800, 800)),
            filename="x.png",
            tags=["t"],
        )
    assert Asset.objects.count() == 0 and files_under(media_root) == []
    monkeypatch.undo()

    # In the worker: the thumbnail and renditions written go again, the asset
    # stays processing with its original (a later run can still make them).
    asset, _ = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.editor,
        file=image_bytes((800, 800)),
        filename="x.png",
    )
    monkeypatch.setattr(Rendition.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        render_asset(asset.pk)
    asset.refresh_from_db()
    assert asset.renditions_state == RenditionsState.PROCESSING
    assert files_under(media_root) == [Path(asset.file.path)]


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_reviewers_and_clients_cannot_upload(
    tenant: Any, media_root: Path, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.asset_upload(
            workspace=tenant.workspace,
            by=tenant.person(role),
            file=image_bytes(),
            filename="x.png",
        )
    assert files_under(media_root) == []


# --- Tags and search ---------------------------------------------------------


def test_clean_tags_normalises_and_refuses_bad_input() -> None:
    assert clean_tags("Summer,  Product   Shots ,summer,") == [
        "summer",
        "product shots",
    ]
    with pytest.raises(ValidationError):
        clean_tags([1, 2])
    with pytest.raises(ValidationError):
        clean_tags(["x" * 51])


def test_tag_untag_and_search_by_tag_filename_alt_text_and_source(
    tenant: Any, other_tenant: Any, media_root: Path
) -> None:
    latte = upload(tenant, image_bytes(colour=(1, 2, 3)), "latte-art.png")
    beans = upload(
        tenant, image_bytes(colour=(4, 5, 6)), "IMG_001.png", alt_text="Roasted beans"
    )
    upload(other_tenant, image_bytes(colour=(7, 8, 9)), "latte-elsewhere.png")
    services.asset_tag(asset=latte, by=tenant.editor, tags=["Summer", "drinks"])
    services.asset_tag(asset=beans, by=tenant.editor, tags="summer")
    services.asset_untag(asset=latte, by=tenant.editor, tags=["drinks"])
    assert AssetTag.objects.filter(workspace=tenant.workspace).count() == 2

    def found(**filters: Any) -> set[int]:
        return {a.pk for a in services.asset_search(principal=tenant.editor, **filters)}

    assert found() == {latte.pk, beans.pk}  # never the other tenant's
    assert found(tag="SUMMER") == {latte.pk, beans.pk}
    assert found(tag="drinks") == set()
    assert found(query="LATTE") == {latte.pk}
    assert found(query="roasted") == {beans.pk}
    assert found(query="summer") == {latte.pk, beans.pk}
    assert found(source="generated") == set()
    assert found(source="upload", query="img_") == {beans.pk}


def test_update_replaces_alt_text_and_tags(tenant: Any, media_root: Path) -> None:
    asset = upload(tenant, image_bytes(), tags=["old"])
    services.asset_update(
        asset=asset, by=tenant.editor, alt_text="New words", tags=["new", "fresh"]
    )
    asset.refresh_from_db()
    assert asset.alt_text == "New words"
    assert sorted(asset.tags.values_list("name", flat=True)) == ["fresh", "new"]
    with pytest.raises(PermissionDenied):
        services.asset_update(asset=asset, by=tenant.reviewer, alt_text="x")


# --- Attach, usage, delete -----------------------------------------------------


def test_attach_detach_and_usage(tenant: Any, media_root: Path) -> None:
    asset = upload(tenant, image_bytes())
    first = PostFactory(campaign__workspace=tenant.workspace)
    second = PostFactory(campaign__workspace=tenant.workspace)
    services.asset_attach(asset=asset, post=first, by=tenant.editor)
    usage = services.asset_attach(asset=asset, post=second, by=tenant.editor)
    assert usage.chosen and usage.position == 0
    again = services.asset_attach(
        asset=asset, post=second, by=tenant.editor, chosen=False
    )
    assert again.pk == usage.pk and not again.chosen
    assert {p.pk for p in services.asset_usage(asset)} == {first.pk, second.pk}
    services.asset_detach(asset=asset, post=first, by=tenant.editor)
    assert [p.pk for p in services.asset_usage(asset)] == [second.pk]


def test_an_asset_cannot_go_on_a_post_of_another_workspace(
    tenant: Any, other_tenant: Any, media_root: Path
) -> None:
    asset = upload(other_tenant, image_bytes())
    post = PostFactory(campaign__workspace=tenant.workspace)
    with pytest.raises(ValidationError):
        services.asset_attach(asset=asset, post=post, by=tenant.owner)
    assert not PostImage.objects.exists()


def test_delete_is_refused_while_a_scheduled_post_uses_the_asset(
    tenant: Any, media_root: Path
) -> None:
    asset = upload(tenant, image_bytes((800, 800)))
    post = PostFactory(campaign__workspace=tenant.workspace)
    services.asset_attach(asset=asset, post=post, by=tenant.editor)
    post.status = PostStatus.SCHEDULED
    post.scheduled_at = timezone.now() + timedelta(days=1)
    post.save()
    with pytest.raises(ConflictError) as info:
        services.asset_delete(asset=asset, by=tenant.editor)
    assert info.value.code == "asset_in_use" and info.value.extra["posts"] == [post.pk]
    assert Asset.objects.filter(pk=asset.pk).exists()


def test_delete_removes_rows_and_files_once_committed(
    tenant: Any,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    asset = upload(tenant, image_bytes((800, 800)))
    draft = PostFactory(campaign__workspace=tenant.workspace)
    services.asset_attach(asset=asset, post=draft, by=tenant.editor)
    assert len(files_under(media_root)) == 4  # file, thumbnail, 2 renditions
    with pytest.raises(PermissionDenied):
        services.asset_delete(asset=asset, by=tenant.reviewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.asset_delete(asset=asset, by=tenant.editor)
    assert len(files_under(media_root)) == 4  # not before the commit
    for callback in callbacks:
        callback()
    assert files_under(media_root) == []
    assert not Rendition.objects.exists() and not PostImage.objects.exists()


def test_upload_applies_the_exif_orientation_before_dropping_it(
    tenant: Any, media_root: Path
) -> None:
    image = Image.effect_noise((40, 20), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    asset = upload(tenant, out.getvalue(), "phone.jpg")
    assert (asset.width, asset.height) == (20, 40)
    with Image.open(asset.file.path) as stored:
        assert stored.size == (20, 40) and not stored.getexif()
