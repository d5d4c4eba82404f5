"""`/api/v1/assets/` and `POST /api/v1/posts/{id}/images/`: uploads checked by
content (a refused one keeps nothing), dedupe, filters, tenancy, roles, keys,
the one error format."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.models import Job, PostStatus
from content import services
from content.models import Asset, AssetTag, PostImage
from tests.content.media import (
    animated_gif,
    files_under,
    image_bytes,
    media_root,
    png_bomb,
    rendered,
)
from tests.factories import PostFactory
from workspaces.models import ApiKeyScope

__all__ = ["media_root"]  # fixture

pytestmark = pytest.mark.django_db

URL = "/api/v1/assets/"


def post_file(
    client: Any, workspace: Any, data: bytes, name: str = "photo.png", **extra: Any
) -> Any:
    body = {"workspace": workspace.pk, "file": SimpleUploadedFile(name, data), **extra}
    return client.post(URL, body, format="multipart")


def make_asset(tenant: Any, **kw: Any) -> Asset:
    asset, _ = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.owner,
        file=image_bytes(**kw),
        filename="x.png",
    )
    return rendered(asset)


def test_upload_answers_201_with_the_asset_and_200_for_the_same_file(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    client = user_client(tenant.editor)
    data = image_bytes((64, 64))
    first = post_file(
        client, tenant.workspace, data, alt_text="Beans", tags="Autumn, beans"
    )
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["original_filename"] == "photo.png"
    assert body["content_type"] == "image/png" and body["source"] == "upload"
    assert body["tags"] == ["autumn", "beans"] and body["alt_text"] == "Beans"
    assert body["url"].startswith("http://testserver/")
    assert body["usage"] == [] and body["provenance"]["provider"] == ""
    again = post_file(client, tenant.workspace, data, "same.png", tags=["more"])
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["tags"] == ["autumn", "beans", "more"]
    assert Asset.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"%PDF-1.7\n1 0 obj<<>>endobj\n", "invoice.png", "not_image"),
        (png_bomb(), "bomb.png", "too_many_pixels"),
        (image_bytes((300, 300), "BMP"), "huge.png", "too_large"),
        (animated_gif(), "moving.gif", "animated"),
    ],
    ids=["renamed-non-image", "bomb", "too-large", "animated"],
)
def test_a_bad_upload_is_400_with_its_code_and_keeps_nothing(
    tenant: Any,
    user_client: Any,
    media_root: Path,
    settings: Any,
    data: bytes,
    name: str,
    code: str,
) -> None:
    settings.IMAGE_UPLOAD_MAX_BYTES = 100_000
    response = post_file(user_client(tenant.editor), tenant.workspace, data, name)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["fields"]["file"] == [error["message"]]
    assert Asset.objects.count() == 0 and AssetTag.objects.count() == 0
    assert files_under(media_root) == []


def test_an_upload_without_a_file_or_with_an_unknown_field_is_invalid(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    client = user_client(tenant.editor)
    response = client.post(URL, {"workspace": tenant.workspace.pk}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    response = post_file(client, tenant.workspace, image_bytes(), colour="red")
    assert response.json()["error"]["fields"] == {"colour": ["Unknown field."]}


def test_list_filters_by_tag_source_and_search(
    tenant: Any, other_tenant: Any, user_client: Any, media_root: Path
) -> None:
    client = user_client(tenant.reviewer)  # reading is for every role
    latte = make_asset(tenant, colour=(1, 1, 1))
    beans = make_asset(tenant, colour=(2, 2, 2))
    make_asset(other_tenant, colour=(3, 3, 3))
    services.asset_update(asset=latte, by=tenant.editor, tags=["drinks"])
    services.asset_update(asset=beans, by=tenant.editor, alt_text="Roasted beans")

    def ids(query: str = "") -> list[int]:
        response = client.get(URL + query)
        assert response.status_code == 200
        return [a["id"] for a in response.json()["results"]]

    assert sorted(ids()) == sorted([latte.pk, beans.pk])
    assert ids("?tag=Drinks") == [latte.pk]
    assert ids("?search=roasted") == [beans.pk]
    assert ids("?source=generated") == []
    assert ids(f"?workspace={tenant.workspace.slug}&search=drinks") == [latte.pk]


def test_retrieve_lists_renditions_and_usage(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    asset, _ = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.editor,
        file=image_bytes((800, 800), "JPEG"),
        filename="big.jpg",
    )
    asset = rendered(asset)
    post = PostFactory(campaign__workspace=tenant.workspace, topic="Beans")
    services.asset_attach(asset=asset, post=post, by=tenant.editor)
    body = user_client(tenant.client).get(f"{URL}{asset.pk}/").json()
    assert {(r["network"], r["format"]) for r in body["renditions"]} == {
        ("", "square"),
        ("", "landscape"),
    }
    (usage,) = body["usage"]
    assert usage["post"] == post.pk and usage["topic"] == "Beans"
    assert usage["status"] == "draft" and usage["chosen"] is True


def test_patch_alt_text_and_tags(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    asset = make_asset(tenant)
    response = user_client(tenant.editor).patch(
        f"{URL}{asset.pk}/", {"alt_text": "A cup", "tags": ["Cups"]}
    )
    assert response.status_code == 200
    assert response.json()["alt_text"] == "A cup" and response.json()["tags"] == [
        "cups"
    ]


def test_delete_is_409_while_a_scheduled_post_uses_it_then_204(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    client = user_client(tenant.editor)
    asset = make_asset(tenant)
    post = PostFactory(campaign__workspace=tenant.workspace)
    services.asset_attach(asset=asset, post=post, by=tenant.editor)
    post.status, post.scheduled_at = (
        PostStatus.SCHEDULED,
        timezone.now() + timedelta(days=1),
    )
    post.save()
    response = client.delete(f"{URL}{asset.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "asset_in_use"
    assert response.json()["error"]["posts"] == [post.pk]
    PostImage.objects.all().delete()
    assert client.delete(f"{URL}{asset.pk}/").status_code == 204
    assert not Asset.objects.exists()


def test_attach_and_detach(tenant: Any, user_client: Any, media_root: Path) -> None:
    client = user_client(tenant.editor)
    asset = make_asset(tenant)
    post = PostFactory(campaign__workspace=tenant.workspace)
    response = client.post(f"{URL}{asset.pk}/attach/", {"post": post.pk})
    assert response.status_code == 200 and response.json()["usage"][0]["chosen"]
    response = client.post(f"{URL}{asset.pk}/detach/", {"post": post.pk})
    assert response.status_code == 200 and response.json()["usage"] == []


def test_another_workspaces_asset_is_404_everywhere(
    tenant: Any, other_tenant: Any, user_client: Any, media_root: Path
) -> None:
    theirs = make_asset(other_tenant)
    post = PostFactory(campaign__workspace=tenant.workspace)
    client = user_client(tenant.owner)
    detail = f"{URL}{theirs.pk}/"
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"alt_text": "x"}).status_code == 404
    assert client.delete(detail).status_code == 404
    attach = client.post(detail + "attach/", {"post": post.pk})
    assert attach.status_code == 404
    assert attach.json()["error"]["code"] == "not_found"
    # Their post by id reads like one that does not exist.
    mine = make_asset(tenant)
    their_post = PostFactory(campaign__workspace=other_tenant.workspace)
    response = client.post(f"{URL}{mine.pk}/attach/", {"post": their_post.pk})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["post"] == ["No such post."]
    # And an upload into their workspace is refused as an unknown workspace.
    response = post_file(client, other_tenant.workspace, image_bytes())
    assert response.status_code == 400
    assert "workspace" in response.json()["error"]["fields"]
    assert Asset.objects.filter(pk=theirs.pk).exists()
    assert not PostImage.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_reviewers_and_clients_cannot_write(
    tenant: Any, user_client: Any, media_root: Path, role: str
) -> None:
    asset = make_asset(tenant)
    client = user_client(tenant.person(role))
    assert post_file(client, tenant.workspace, image_bytes((5, 5))).status_code == 403
    assert client.patch(f"{URL}{asset.pk}/", {"alt_text": "x"}).status_code == 403
    assert client.delete(f"{URL}{asset.pk}/").status_code == 403
    assert Asset.objects.count() == 1
    assert len(files_under(media_root)) == 2  # the one asset's file and thumbnail


def test_a_read_key_can_list_but_not_write_and_a_write_key_can(
    tenant: Any, key_client: Any, media_root: Path
) -> None:
    asset = make_asset(tenant)
    reader = key_client(tenant.workspace, ApiKeyScope.READ)
    assert reader.get(URL).status_code == 200
    assert post_file(reader, tenant.workspace, image_bytes((5, 5))).status_code == 403
    assert reader.delete(f"{URL}{asset.pk}/").status_code == 403
    writer = key_client(tenant.workspace, ApiKeyScope.WRITE)
    response = post_file(writer, tenant.workspace, image_bytes((6, 6)))
    assert response.status_code == 201
    created = Asset.objects.get(pk=response.json()["id"])
    assert created.created_by_key is not None and created.created_by is None


# --- Generating images ---------------------------------------------------------------


def test_generate_answers_202_with_a_job_visible_at_the_jobs_endpoint(
    tenant: Any, user_client: Any
) -> None:
    client = user_client(tenant.editor)
    post = PostFactory(campaign__workspace=tenant.workspace, topic="Latte")
    variant = post.variants.create(
        workspace=tenant.workspace, network="x", label="A", text="t", image_prompt="Cup"
    )
    response = client.post(
        f"/api/v1/posts/{post.pk}/images/",
        {"variant": variant.pk, "count": 2, "seed": 5, "width": 512, "height": 512},
    )
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["kind"] == "image_generation" and job["status"] == "queued"
    assert job["input"]["prompt"] == "Cup" and job["input"]["count"] == 2
    polled = client.get(f"/api/v1/jobs/{job['id']}/")
    assert polled.status_code == 200 and polled.json()["id"] == job["id"]


def test_generate_refuses_bad_fields_in_the_one_format(
    tenant: Any, user_client: Any
) -> None:
    post = PostFactory(campaign__workspace=tenant.workspace)
    response = user_client(tenant.editor).post(
        f"/api/v1/posts/{post.pk}/images/", {"count": 50, "width": 3}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {"count", "width"}
    assert not Job.objects.exists()


def test_generate_is_404_for_another_tenant_and_403_for_a_reviewer_or_read_key(
    tenant: Any, other_tenant: Any, user_client: Any, key_client: Any
) -> None:
    theirs = PostFactory(campaign__workspace=other_tenant.workspace)
    mine = PostFactory(campaign__workspace=tenant.workspace)
    client = user_client(tenant.owner)
    assert client.post(f"/api/v1/posts/{theirs.pk}/images/", {}).status_code == 404
    reviewer = user_client(tenant.reviewer)
    assert reviewer.post(f"/api/v1/posts/{mine.pk}/images/", {}).status_code == 403
    reader = key_client(tenant.workspace, ApiKeyScope.READ)
    assert reader.post(f"/api/v1/posts/{mine.pk}/images/", {}).status_code == 403
    assert not Job.objects.exists()


def test_an_image_job_is_canceled_through_the_jobs_endpoint_a_plan_is_not(
    tenant: Any, other_tenant: Any, user_client: Any
) -> None:
    client = user_client(tenant.editor)
    post = PostFactory(campaign__workspace=tenant.workspace, topic="Latte")
    job = client.post(f"/api/v1/posts/{post.pk}/images/", {"count": 1}).json()
    assert (
        user_client(tenant.reviewer)
        .post(f"/api/v1/jobs/{job['id']}/cancel/")
        .status_code
        == 403
    )
    assert (
        user_client(other_tenant.owner)
        .post(f"/api/v1/jobs/{job['id']}/cancel/")
        .status_code
        == 404
    )
    canceled = client.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    again = client.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_cancelable"
    plan = Job.objects.create(workspace=tenant.workspace, kind="plan")
    refused = client.post(f"/api/v1/jobs/{plan.pk}/cancel/")
    assert refused.status_code == 409 and plan.status == "queued"
