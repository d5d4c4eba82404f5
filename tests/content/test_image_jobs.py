"""Image generation jobs: the request (rules, the job row), the run (assets
with provenance and renditions, progress, cancel, provider errors), the
template card and the real diffusers path through a real Celery worker on the
`images` queue, the remote API against the local server, and import weight."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from campaigns.models import AIDisclosure, Job, JobStatus
from content import services
from content.models import Asset, AssetSource, PostImage
from content.services import image_generation
from core.errors import ConflictError
from tests.content.conftest import post_with_channels
from tests.content.media import media_root
from tests.factories import PostFactory
from tests.image_models import tiny_sd_folder
from tests.integration.procs import PYTHON, ROOT, child_env, wait_until
from tests.llm_server import LLMServer
from tests.realservices import _stop

__all__ = ["media_root", "tiny_sd_folder"]  # fixtures

WORKER_START_TIMEOUT = 60.0


def run(job: Job) -> Job:
    """What the worker does, in-process (the worker tests below run the real one)."""
    services.run_image_generation(job.pk)
    job.refresh_from_db()
    return job


# --- Request --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_is_a_queued_job_with_what_was_asked(tenant: Any) -> None:
    post = post_with_channels(tenant.workspace, "bluesky")
    variant = post.variants.create(
        workspace=tenant.workspace,
        network="bluesky",
        label="A",
        text="Hello",
        image_prompt="A latte on oak",
    )
    job = services.image_generation_request(
        post=post, by=tenant.editor, variant=variant, count=2, seed=7
    )
    assert job.kind == "image_generation" and job.status == JobStatus.QUEUED
    assert job.created_by == tenant.editor
    assert job.input == {
        "post_id": post.pk,
        "variant_id": variant.pk,
        "prompt": "A latte on oak",
        "count": 2,
        "width": 0,
        "height": 0,
        "seed": 7,
        "provider": "template",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"count": 0}, "count"),
        ({"count": 99}, "count"),
        ({"count": True}, "count"),
        ({"width": 10}, "width"),
        ({"height": 4096}, "height"),
        ({"seed": -1}, "seed"),
        ({"provider": "midjourney"}, "provider"),
    ],
)
def test_bad_requests_name_the_field(
    tenant: Any, fields: dict[str, Any], bad: str
) -> None:
    post = PostFactory(campaign__workspace=tenant.workspace)
    with pytest.raises(ValidationError) as info:
        services.image_generation_request(post=post, by=tenant.editor, **fields)
    assert list(info.value.message_dict) == [bad]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_variant_of_another_post_is_refused(tenant: Any) -> None:
    post, other = (PostFactory(campaign__workspace=tenant.workspace) for _ in "ab")
    variant = other.variants.create(
        workspace=tenant.workspace, network="x", label="A", text="t"
    )
    with pytest.raises(ValidationError) as info:
        services.image_generation_request(post=post, by=tenant.editor, variant=variant)
    assert "variant" in info.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_reviewers_and_clients_cannot_generate(tenant: Any, role: str) -> None:
    post = PostFactory(campaign__workspace=tenant.workspace)
    with pytest.raises(PermissionDenied):
        services.image_generation_request(post=post, by=tenant.person(role))


# --- Run, in-process ------------------------------------------------------------------


@pytest.mark.django_db
def test_template_cards_become_assets_with_provenance_and_renditions(
    tenant: Any, media_root: Path
) -> None:
    post = post_with_channels(tenant.workspace, "bluesky", topic="Autumn blend")
    brand = post.campaign.brand
    brand.colours, brand.ai_disclosure = ["#0f766e", "#f59e0b"], AIDisclosure.ALWAYS
    brand.save()
    job = services.image_generation_request(
        post=post, by=tenant.editor, prompt="A latte", width=640, height=640
    )
    job = run(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100 and job.message == "1 image made"
    (asset,) = Asset.objects.filter(pk__in=job.result["assets"])
    assert asset.source == AssetSource.GENERATED and asset.provider == "template"
    assert not asset.ai_generated  # a template card is no AI: no label
    assert asset.prompt == "Autumn blend"  # a card records the headline it drew
    assert asset.made_for_post == post and asset.job == job
    assert asset.created_by == tenant.editor
    assert (asset.width, asset.height) == (640, 640)
    note = asset.provenance
    assert note["generator"]["provider"] == "template"
    assert len(note["inputs_hash"]) == 64
    assert note["disclosure"] == {"policy": "always", "label": "", "networks": []}
    assert note["digital_source_type"].endswith("/algorithmicMedia")
    # Enlarged to fill every Bluesky format, within its byte limit.
    cuts = list(asset.renditions.all())
    assert {r.format for r in cuts} == {"square", "portrait", "landscape"}
    assert all(r.network == "bluesky" and r.bytes <= 1_000_000 for r in cuts)
    with Image.open(cuts[0].file.path) as img:
        assert img.size == (cuts[0].width, cuts[0].height)
    usage = PostImage.objects.get(post=post, asset=asset)
    assert not usage.chosen  # a candidate until someone picks it


@pytest.mark.django_db
def test_the_same_card_twice_reuses_the_asset(tenant: Any, media_root: Path) -> None:
    post = post_with_channels(tenant.workspace, "email", topic="Same")
    ask = {"post": post, "by": tenant.editor, "width": 320, "height": 320}
    first = run(services.image_generation_request(**ask))
    second = run(services.image_generation_request(**ask))
    assert first.result["assets"] == second.result["assets"]
    assert Asset.objects.count() == 1 and PostImage.objects.count() == 1


@pytest.mark.django_db
def test_several_cards_in_one_job_differ(tenant: Any, media_root: Path) -> None:
    post = post_with_channels(tenant.workspace, "email", topic="Two looks")
    job = run(
        services.image_generation_request(
            post=post, by=tenant.editor, count=2, width=320, height=320
        )
    )
    assets = Asset.objects.filter(pk__in=job.result["assets"])
    assert len(set(job.result["assets"])) == 2 and assets.count() == 2
    seeds = sorted(a.seed for a in assets)
    assert seeds[1] == seeds[0] + 1  # one random base, then the next


@pytest.mark.django_db
def test_a_canceled_job_makes_no_more_images(
    tenant: Any, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = post_with_channels(tenant.workspace, "email")
    job = services.image_generation_request(
        post=post, by=tenant.editor, count=3, width=320, height=320
    )
    real = image_generation.store_generated
    stored: list[int] = []

    def store_then_cancel(*args: Any, **kwargs: Any) -> Asset:
        asset = real(*args, **kwargs)
        stored.append(asset.pk)
        services.image_job_cancel(job=job, by=tenant.editor)
        return asset

    monkeypatch.setattr(image_generation, "store_generated", store_then_cancel)
    job = run(job)
    assert len(stored) == 1 and Asset.objects.count() == 1
    assert job.status == JobStatus.CANCELED and job.message == "Canceled"
    assert job.error == "" and job.finished_at is not None
    with pytest.raises(ConflictError):
        services.image_job_cancel(job=job, by=tenant.editor)


@pytest.mark.django_db
def test_a_job_already_taken_is_not_run_twice(tenant: Any, media_root: Path) -> None:
    post = post_with_channels(tenant.workspace, "email")
    job = run(
        services.image_generation_request(
            post=post, by=tenant.editor, width=320, height=320
        )
    )
    run(job)  # a redelivered message finds it done
    assert Asset.objects.count() == 1


# --- The remote images API, against the local server -----------------------------


@pytest.fixture
def remote(settings: Any, llm_server: LLMServer) -> LLMServer:
    settings.IMAGE_REMOTE_MODEL = "dall-e-3"
    settings.IMAGE_REMOTE_BASE_URL = llm_server.base_url
    settings.IMAGE_REMOTE_API_KEY = "sk-test-image-key"
    settings.LLM_BACKOFF_SECONDS = 0.01
    settings.LLM_MAX_ATTEMPTS = 2
    settings.IMAGE_TIMEOUT_SECONDS = 2.0
    settings.IMAGE_RETRY_DEADLINE_SECONDS = 5.0
    return llm_server


@pytest.mark.django_db
def test_remote_images_are_ai_generated_and_labelled_per_policy(
    tenant: Any, media_root: Path, remote: LLMServer
) -> None:
    post = post_with_channels(tenant.workspace, "email")
    brand = post.campaign.brand
    brand.ai_disclosure = AIDisclosure.PER_CHANNEL
    brand.ai_disclosure_networks = ["instagram"]
    brand.dont_words = ["cheap"]
    brand.save()
    job = run(
        services.image_generation_request(
            post=post, by=tenant.editor, prompt="A latte", provider="openai"
        )
    )
    assert job.status == JobStatus.SUCCEEDED, job.error
    (asset,) = Asset.objects.all()
    assert asset.ai_generated and asset.provider == "openai"
    assert asset.model == "dall-e-3" and asset.device == "remote"
    assert "Avoid: cheap" in asset.prompt  # the API has no negative prompt
    assert asset.provenance["disclosure"] == {
        "policy": "per_channel",
        "label": "Made with AI",
        "networks": ["instagram"],
    }
    assert asset.provenance["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert len(remote.image_requests()) == 1


@pytest.mark.django_db
def test_a_refused_prompt_fails_the_job_with_the_providers_message(
    tenant: Any, media_root: Path, remote: LLMServer
) -> None:
    remote.enqueue("bad_request")
    post = PostFactory(campaign__workspace=tenant.workspace)
    job = run(
        services.image_generation_request(
            post=post, by=tenant.editor, provider="openai"
        )
    )
    assert job.status == JobStatus.FAILED
    assert "safety system" in job.error and "sk-test" not in job.error
    assert not Asset.objects.exists()


@pytest.mark.django_db
def test_a_bad_key_fails_the_job_without_quoting_the_key(
    tenant: Any, media_root: Path, remote: LLMServer
) -> None:
    remote.enqueue("bad_key")
    post = PostFactory(campaign__workspace=tenant.workspace)
    job = run(
        services.image_generation_request(
            post=post, by=tenant.editor, provider="openai"
        )
    )
    assert job.status == JobStatus.FAILED and job.error
    assert "sk-test-image-key" not in job.error


# --- A real worker on the images queue ------------------------------------------------


@dataclass
class ImagesWorker:
    process: subprocess.Popen[bytes]
    log_path: Path
    media: Path
    model: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def images_worker(
    django_db_setup: None,
    tiny_sd_folder: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ImagesWorker]:
    """`celery -A config worker -Q images` (as in production), with IMAGE_MODEL
    set to the tiny pipeline saved by the test; the default provider stays the
    template card, a job picks diffusers by its `provider`."""
    folder = tmp_path_factory.mktemp("images-worker")
    media = folder / "media"
    media.mkdir()
    log_path = folder / "worker.log"
    env = child_env(
        MEDIA_ROOT=str(media),
        IMAGE_PROVIDER="template",
        IMAGE_MODEL=str(tiny_sd_folder),
        IMAGE_DEVICE="cpu",
        IMAGE_VAE="full",
        HF_HUB_OFFLINE="1",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "images",
                "-c",
                "1",
                "--pool=solo",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"adloop-images-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = ImagesWorker(process, log_path, media, str(tiny_sd_folder))
    try:
        ready = wait_until(
            lambda: process.poll() is not None or " ready." in worker.log(),
            timeout=WORKER_START_TIMEOUT,
        )
        assert process.poll() is None and ready, worker.log()
        yield worker
    finally:
        _stop(process)


def _wait_for(job: Job, worker: ImagesWorker) -> Job:
    def finished() -> bool:
        job.refresh_from_db()
        return job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    done = wait_until(finished, timeout=120)
    assert done, f"job still {job.status}:\n{worker.log()[-5000:]}"
    return job


@pytest.mark.integration
def test_a_real_images_worker_makes_template_cards_end_to_end(
    transactional_db: None, images_worker: ImagesWorker, settings: Any
) -> None:
    from tests.factories import WorkspaceFactory, member

    settings.MEDIA_ROOT = str(images_worker.media)
    workspace = WorkspaceFactory()
    editor = member(workspace)
    post = post_with_channels(workspace, "x", topic="Worker card")
    job = services.image_generation_request(post=post, by=editor, count=2, seed=1)
    job = _wait_for(job, images_worker)
    assert job.status == JobStatus.SUCCEEDED, job.error + images_worker.log()[-3000:]
    assets = list(Asset.objects.filter(pk__in=job.result["assets"]))
    assert sorted(a.seed for a in assets) == [1, 2]  # seed, seed + 1: two layouts
    asset = assets[0]
    assert asset.provider == "template" and asset.job_id == job.pk
    assert {r.format for r in asset.renditions.all()} == {
        "landscape",
        "square",
        "wide",
    }
    assert all(Path(r.file.path).is_file() for r in asset.renditions.all())
    assert assets[0].checksum != assets[1].checksum
    assert "generate_images" in images_worker.log()


@pytest.mark.integration
def test_a_real_images_worker_runs_the_diffusers_pipeline_into_an_asset(
    transactional_db: None, images_worker: ImagesWorker, settings: Any
) -> None:
    from tests.factories import WorkspaceFactory, member

    settings.MEDIA_ROOT = str(images_worker.media)
    workspace = WorkspaceFactory()
    editor = member(workspace)
    post = post_with_channels(workspace, "bluesky")
    job = services.image_generation_request(
        post=post,
        by=editor,
        prompt="A latte",
        provider="diffusers",
        width=64,
        height=64,
        seed=1234,
    )
    job = _wait_for(job, images_worker)
    assert job.status == JobStatus.SUCCEEDED, job.error + images_worker.log()[-3000:]
    (asset,) = Asset.objects.filter(pk__in=job.result["assets"])
    assert asset.ai_generated and asset.provider == "diffusers"
    assert asset.model == images_worker.model
    assert asset.seed == 1234 and asset.device == "cpu" and asset.steps
    assert (asset.width, asset.height) == (64, 64)
    assert asset.prompt.startswith("A latte.")
    assert asset.provenance["generator"]["dtype"] == "float32"
    cuts = list(asset.renditions.all())
    assert {r.format for r in cuts} == {"square", "portrait", "landscape"}
    assert all(r.network == "bluesky" and r.bytes <= 1_000_000 for r in cuts)


# --- Import weight -------------------------------------------------------------------


def test_the_web_app_and_the_publishing_worker_do_not_import_torch() -> None:
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "import config.wsgi, publishing.tasks, publishing.delivery, content.tasks\n"
        "import content.services, content.api.assets\n"
        "heavy = sorted(m for m in ('torch', 'diffusers', 'transformers')\n"
        "               if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_the_generate_images_task_goes_to_the_images_queue() -> None:
    from config.celery import app
    from content.tasks import generate_images

    route = app.amqp.router.route({}, generate_images.name, args=(), kwargs={})
    assert generate_images.name == "content.tasks.generate_images"
    assert route["queue"].name == "images"
