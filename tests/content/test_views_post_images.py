"""The post editor's Images panel: the provider named honestly, the prompt
prefilled from the chosen variant, "Generate image" queues a job whose
progress bar polls until a gallery of results, choosing and removing images,
the library picker with search, the crop preview per channel format, roles
and tenancy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from campaigns.models import Job, JobStatus
from content import services
from content.models import Asset, PostImage, VariantStatus
from content.services.image_generation import KIND
from tests.content.conftest import post_with_channels
from tests.content.media import image_bytes, media_root, rendered

__all__ = ["media_root"]  # fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]
HX = {"HTTP_HX_REQUEST": "true"}


def upload(tenant: Any, name: str = "x.png", **kw: Any) -> Asset:
    asset, _ = services.asset_upload(
        workspace=tenant.workspace,
        by=tenant.owner,
        file=image_bytes(**kw),
        filename=name,
    )
    return rendered(asset)  # as the images worker leaves it


def _post_with_variant(tenant: Any) -> Any:
    post = post_with_channels(tenant.workspace, "bluesky", topic="Latte week")
    post.variants.create(
        workspace=tenant.workspace,
        network="bluesky",
        label="A",
        text="Hello",
        image_prompt="A latte on an oak table",
        status=VariantStatus.CHOSEN,
    )
    return post


def test_the_editor_shows_the_panel_with_the_provider_and_the_variants_prompt(
    tenant: Any, web: Any
) -> None:
    post = _post_with_variant(tenant)
    html = web(tenant.editor).get(reverse("post-editor", args=[post.pk])).content
    page = html.decode()
    assert 'id="images-panel"' in page
    assert "Branded template card (no AI)" in page
    assert "A latte on an oak table</textarea>" in page
    assert reverse("post-image-generate", args=[post.pk]) in page
    assert reverse("post-image-picker", args=[post.pk]) in page


def test_the_diffusion_provider_is_named_with_its_model(
    tenant: Any, web: Any, settings: Any
) -> None:
    settings.IMAGE_PROVIDER = "diffusers"
    settings.IMAGE_MODEL = "/models/sd-turbo"
    post = _post_with_variant(tenant)
    page = web(tenant.editor).get(reverse("post-images", args=[post.pk])).content
    assert b"Diffusion model (diffusers)" in page and b"/models/sd-turbo" in page
    assert b"no AI" not in page


def test_generate_queues_a_job_polls_it_and_shows_the_results_to_choose(
    tenant: Any, web: Any, media_root: Path
) -> None:
    post = _post_with_variant(tenant)
    client = web(tenant.editor)
    response = client.post(
        reverse("post-image-generate", args=[post.pk]),
        {"prompt": "Two lattes, edited", "count": 2, "variant": ""},
        **HX,
    )
    assert response.status_code == 200, response.content
    job = Job.objects.get(kind=KIND)
    assert job.input["prompt"] == "Two lattes, edited" and job.input["count"] == 2
    assert job.input["post_id"] == post.pk and job.status == JobStatus.QUEUED
    progress_url = reverse("image-job-progress", args=[job.pk])
    assert progress_url in response.content.decode()
    polled = client.get(progress_url, **HX)
    assert polled.status_code == 200 and "HX-Retarget" not in polled
    assert b"<progress" in polled.content and b"Queued" in polled.content

    services.run_image_generation(job.pk)  # what the images worker does
    done = client.get(progress_url, **HX)
    assert done["HX-Retarget"] == "#images-panel"
    html = done.content.decode()
    assert "Done: 2 images made" in html
    job.refresh_from_db()
    made = job.result["assets"]
    # The template card is deterministic: the same card twice is one asset.
    assert len(made) == 2 and Asset.objects.filter(pk__in=made).exists()
    for pk in made:
        assert f'data-candidate="{pk}"' in html
    assert "<progress" not in html

    chosen = client.post(
        reverse("post-image-attach", args=[post.pk]), {"asset": made[0]}, **HX
    )
    assert chosen.status_code == 200
    usage = PostImage.objects.get(post=post, asset_id=made[0])
    assert usage.chosen is True
    html = chosen.content.decode()
    assert f'data-post-image="{made[0]}"' in html
    assert f'data-candidate="{made[0]}"' not in html


def test_the_crop_preview_shows_each_format_of_the_posts_networks(
    tenant: Any, web: Any, media_root: Path
) -> None:
    post = post_with_channels(tenant.workspace, "bluesky", "instagram")
    asset = upload(tenant, size=(1800, 1400))
    client = web(tenant.editor)
    client.post(reverse("post-image-attach", args=[post.pk]), {"asset": asset.pk})
    html = client.get(reverse("post-images", args=[post.pk])).content.decode()
    assert 'data-crop-network="bluesky"' in html
    assert 'data-crop-network="instagram"' in html
    cut = asset.renditions.get(network="instagram", format="portrait")
    assert (cut.width, cut.height) == (1080, 1350)
    assert reverse("rendition-file", args=[cut.pk]) in html
    left, _top, right, _bottom = cut.crop_box
    width = round(100 * (right - left) / asset.width, 2)
    assert f'data-pct-width="{width}"' in html and 'class="crop-box"' in html


def test_bad_input_and_locked_roles_are_refused(
    tenant: Any, web: Any, settings: Any
) -> None:
    settings.IMAGE_MAX_PER_REQUEST = 4
    post = _post_with_variant(tenant)
    url = reverse("post-image-generate", args=[post.pk])
    too_many = web(tenant.editor).post(url, {"count": 9}, **HX)
    assert too_many.status_code == 400
    assert b"Ask for 1 to 4 images." in too_many.content
    for role in ("reviewer", "client"):
        client = web(tenant.person(role))
        assert client.post(url, {"count": 1}, **HX).status_code == 403
        page = client.get(reverse("post-images", args=[post.pk])).content
        assert b"Generate image</button>" not in page
    assert not Job.objects.filter(kind=KIND).exists()


def test_cancel_stops_the_job(tenant: Any, web: Any) -> None:
    post = _post_with_variant(tenant)
    job = services.image_generation_request(post=post, by=tenant.editor)
    response = web(tenant.editor).post(reverse("image-job-cancel", args=[job.pk]), **HX)
    assert response.status_code == 200
    assert b"Image generation canceled." in response.content
    job.refresh_from_db()
    assert job.status not in (JobStatus.QUEUED, JobStatus.RUNNING)
    polled = web(tenant.editor).get(reverse("image-job-progress", args=[job.pk]), **HX)
    assert polled["HX-Retarget"] == "#images-panel"
    assert b"The image generation was canceled." in polled.content


def test_the_picker_lists_and_searches_the_library_then_attach_and_detach(
    tenant: Any, other_tenant: Any, web: Any, media_root: Path
) -> None:
    post = post_with_channels(tenant.workspace, "mastodon")
    beach = upload(tenant, "beach.png", colour=(1, 2, 3))
    office = upload(tenant, "office.png", colour=(4, 5, 6))
    theirs = upload(other_tenant, "beach-theirs.png", colour=(7, 8, 9))
    client = web(tenant.editor)
    url = reverse("post-image-picker", args=[post.pk])
    listed = client.get(url, **HX).content.decode()
    assert f'data-pick="{beach.pk}"' in listed and f'data-pick="{office.pk}"' in listed
    assert f'data-pick="{theirs.pk}"' not in listed and "<html" not in listed
    found = client.get(url, {"q": "beach"}, **HX).content.decode()
    assert (
        f'data-pick="{beach.pk}"' in found and f'data-pick="{office.pk}"' not in found
    )
    # Without JavaScript the picker is a page; attaching redirects to the editor.
    assert b"<html" in client.get(url).content
    attached = client.post(
        reverse("post-image-attach", args=[post.pk]), {"asset": beach.pk}
    )
    assert attached.status_code == 302
    assert attached["Location"] == reverse("post-editor", args=[post.pk]) + "#images"
    assert PostImage.objects.filter(post=post, asset=beach, chosen=True).exists()
    again = client.get(url, **HX).content.decode()
    assert "On the post already" in again
    removed = client.post(reverse("post-image-detach", args=[post.pk, beach.pk]), **HX)
    assert removed.status_code == 200
    assert f'data-post-image="{beach.pk}"' not in removed.content.decode()
    assert not PostImage.objects.filter(post=post).exists()
    assert Asset.objects.filter(pk=beach.pk).exists()  # still in the library


def test_another_workspaces_post_asset_or_job_is_a_404(
    tenant: Any, other_tenant: Any, web: Any, media_root: Path
) -> None:
    mine = post_with_channels(tenant.workspace, "mastodon")
    their_post = _post_with_variant(other_tenant)
    their_asset = upload(other_tenant)
    their_job = services.image_generation_request(
        post=their_post, by=other_tenant.editor
    )
    client = web(tenant.owner)
    assert client.get(reverse("post-images", args=[their_post.pk])).status_code == 404
    assert (
        client.post(
            reverse("post-image-generate", args=[their_post.pk]), {"count": 1}
        ).status_code
        == 404
    )
    attach = client.post(
        reverse("post-image-attach", args=[mine.pk]), {"asset": their_asset.pk}
    )
    assert attach.status_code == 404
    for name in ("image-job-progress",):
        assert client.get(reverse(name, args=[their_job.pk])).status_code == 404
    assert (
        client.post(reverse("image-job-cancel", args=[their_job.pk])).status_code == 404
    )
    their_job.refresh_from_db()
    assert their_job.status == JobStatus.QUEUED
    assert not PostImage.objects.filter(post=mine).exists()
