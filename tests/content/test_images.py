"""Image providers: the real diffusers path offline on a tiny random pipeline,
the remote images API against the local server, and the branded template card."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from content.image_providers import diffusion
from content.image_providers.diffusion import (
    DiffusionProvider,
    family_defaults,
    fp16_variant,
)
from content.image_providers.remote import RemoteImageProvider, remote_size
from content.image_providers.template_card import (
    DISPLAY_NAME,
    TemplateCardProvider,
    contrast_ratio,
)
from content.images import (
    BrandStyle,
    GeneratedImage,
    ImageError,
    ImageProvider,
    ImageRequest,
    get_image_provider,
    style_prompt,
)
from tests.image_models import build_pipeline, tiny_sd_folder, tiny_taesd_folder
from tests.llm_server import LLMServer

__all__ = ["tiny_sd_folder", "tiny_taesd_folder"]  # fixtures used here

ROOT = Path(__file__).resolve().parents[2]
BRAND = BrandStyle(
    name="Bean There",
    colours=("#0f766e", "#f59e0b"),
    mood_words=("warm", "artisanal", "warm"),
    dont_words=("cheap", "plastic"),
    subject_rules=("people only from behind",),
)


# -- import weight --------------------------------------------------------------


def test_importing_the_image_modules_does_not_import_torch_or_diffusers() -> None:
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "import content.images\n"
        "from content.image_providers import diffusion, remote, template_card\n"
        "from content.images import ImageRequest, get_image_provider\n"
        "get_image_provider('template').generate(ImageRequest('x', headline='Hi'))\n"
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


# -- brand style ---------------------------------------------------------------


def test_style_prompt_applies_palette_mood_and_rules_and_negates_the_donts() -> None:
    final, negative = style_prompt("A latte on a wooden table.", BRAND, "fog")
    assert final.startswith("A latte on a wooden table. mood: warm, artisanal.")
    assert "colour palette: teal, orange" in final
    assert "people only from behind; no text or lettering in the image" in final
    assert negative.split(", ")[:3] == ["fog", "cheap", "plastic"]
    assert "watermark" in negative
    assert style_prompt("A latte on a wooden table.", BRAND, "fog") == (
        final,
        negative,
    )


def test_style_prompt_without_a_brand_still_forbids_lettering() -> None:
    final, negative = style_prompt("A bicycle", None)
    assert final == "A bicycle. no text or lettering in the image."
    assert negative.startswith("text, letters, watermark")


def test_unknown_provider_is_a_permanent_error() -> None:
    with pytest.raises(ImageError) as info:
        get_image_provider("midjourney")
    assert info.value.permanent and info.value.code == "unknown_provider"


# -- diffusers, offline, on a tiny random pipeline --------------------------------


@pytest.fixture
def tiny_diffusion(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tiny_sd_folder: Path
) -> Path:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_PROVIDER = "diffusers"
    settings.IMAGE_MODEL = str(tiny_sd_folder)
    settings.IMAGE_VAE = "full"
    settings.IMAGE_DEVICE = "auto"
    settings.IMAGE_DTYPE = "auto"
    settings.IMAGE_STEPS = 0
    settings.IMAGE_GUIDANCE = None
    diffusion.clear_cache()
    yield tiny_sd_folder
    diffusion.clear_cache()


def _pixels(result: GeneratedImage) -> bytes:
    return result.image.convert("RGB").tobytes()


def test_diffusion_generates_from_a_saved_folder_through_the_setting(
    tiny_diffusion: Path,
) -> None:
    provider = get_image_provider()
    assert isinstance(provider, DiffusionProvider)
    assert isinstance(provider, ImageProvider)
    calls: list[tuple[int, int]] = []
    result = provider.generate(
        ImageRequest("a red cup", width=64, height=64, seed=7, steps=2, style=BRAND),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.image.size == (64, 64)
    assert (result.width, result.height) == (64, 64)
    assert result.provider == "diffusers" and result.model == str(tiny_diffusion)
    assert (result.device, result.dtype) == ("cpu", "float32")
    assert result.seed == 7 and result.steps == 2 and result.guidance == 0.0
    assert result.final_prompt == style_prompt("a red cup", BRAND)[0]
    assert "cheap" in result.negative_prompt
    assert result.extra["family"] == "sd-turbo"  # "trailing" Euler spacing
    assert calls == [(1, 2), (2, 2)]
    assert result.ai_generated


def test_same_seed_gives_identical_pixels_and_another_seed_does_not(
    tiny_diffusion: Path,
) -> None:
    provider = get_image_provider()
    first = provider.generate(ImageRequest("a cup", width=64, height=64, seed=42))
    again = provider.generate(ImageRequest("a cup", width=64, height=64, seed=42))
    other = provider.generate(ImageRequest("a cup", width=64, height=64, seed=43))
    assert _pixels(first) == _pixels(again)
    assert _pixels(first) != _pixels(other)


def test_a_seed_is_drawn_and_recorded_when_none_is_given(tiny_diffusion: Path) -> None:
    provider = get_image_provider()
    result = provider.generate(ImageRequest("a cup", width=64, height=64))
    assert isinstance(result.seed, int)
    replay = provider.generate(
        ImageRequest("a cup", width=64, height=64, seed=result.seed)
    )
    assert _pixels(replay) == _pixels(result)


def test_family_defaults_apply_and_zero_size_means_native(
    tiny_diffusion: Path,
) -> None:
    result = get_image_provider().generate(ImageRequest("a cup", width=0, height=0))
    assert result.image.size == (64, 64)  # sample_size 32 x VAE factor 2
    assert (result.steps, result.guidance) == (1, 0.0)


def test_the_pipeline_is_loaded_once_per_process(
    tiny_diffusion: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diffusers import AutoPipelineForText2Image

    real = AutoPipelineForText2Image.from_pretrained
    loads: list[str] = []

    def counting(model: str, **kwargs: Any) -> Any:
        loads.append(model)
        assert kwargs["local_files_only"] is True
        return real(model, **kwargs)

    monkeypatch.setattr(AutoPipelineForText2Image, "from_pretrained", counting)
    for seed in (1, 2):
        get_image_provider().generate(
            ImageRequest("a cup", width=64, height=64, seed=seed)
        )
    assert loads == [str(tiny_diffusion)]


def test_tiny_vae_option_decodes_with_an_autoencoder_tiny(
    tiny_diffusion: Path, tiny_taesd_folder: Path, settings: Any
) -> None:
    from diffusers import AutoencoderTiny

    settings.IMAGE_VAE = "tiny"
    settings.IMAGE_TINY_VAE = str(tiny_taesd_folder)
    provider = get_image_provider()
    result = provider.generate(ImageRequest("a cup", width=64, height=64, seed=3))
    pipe = provider.loaded()[0]
    assert isinstance(pipe.vae, AutoencoderTiny)
    assert result.image.size == (64, 64) and result.extra["vae"] == "tiny"
    settings.IMAGE_VAE = "full"
    full = get_image_provider().generate(
        ImageRequest("a cup", width=64, height=64, seed=3)
    )
    assert _pixels(full) != _pixels(result)


def test_a_folder_with_only_fp16_weights_loads_with_the_fp16_variant(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe = build_pipeline(tmp_path / "src", save=False)
    folder = tmp_path / "fp16"
    pipe.save_pretrained(folder, variant="fp16", safe_serialization=True)
    assert fp16_variant(folder) == "fp16"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_MODEL = str(folder)
    settings.IMAGE_VAE = "full"
    diffusion.clear_cache()
    try:
        result = get_image_provider("diffusers").generate(
            ImageRequest("a cup", width=64, height=64, seed=1)
        )
    finally:
        diffusion.clear_cache()
    assert result.image.size == (64, 64) and result.dtype == "float32"


def test_a_model_that_is_not_there_offline_is_a_permanent_error(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_MODEL = "nobody/not-in-the-cache"
    diffusion.clear_cache()
    with pytest.raises(ImageError) as info:
        get_image_provider("diffusers").generate(ImageRequest("a cup"))
    assert info.value.permanent and info.value.code == "model_unavailable"
    assert "HF_HUB_OFFLINE=1" in str(info.value)


def _fake(cls_name: str, **parts: Any) -> Any:
    from types import SimpleNamespace

    cls = type(cls_name, (), {})
    obj = cls()
    for key, value in parts.items():
        setattr(obj, key, value)
    obj.vae_scale_factor = parts.get("vae_scale_factor", 8)
    obj.scheduler = SimpleNamespace(
        config=SimpleNamespace(timestep_spacing=parts.get("spacing", "leading"))
    )
    return obj


@pytest.mark.parametrize(
    ("cls_name", "model", "parts", "expected"),
    [
        ("StableDiffusionPipeline", "sd15", {"sample": 64}, ("sd", 25, 7.5, 512)),
        (
            "StableDiffusionPipeline",
            "stabilityai/sd-turbo",
            {"sample": 64},
            ("sd-turbo", 1, 0.0, 512),
        ),
        (
            "StableDiffusionXLPipeline",
            "stabilityai/sdxl-turbo",
            {"sample": 64},
            ("sdxl-turbo", 1, 0.0, 512),
        ),
        ("StableDiffusionXLPipeline", "sdxl", {"sample": 128}, ("sdxl", 30, 5.0, 1024)),
        (
            "FluxPipeline",
            "black-forest-labs/FLUX.1-schnell",
            {"guidance_embeds": False},
            ("flux-schnell", 4, 0.0, 1024),
        ),
        (
            "FluxPipeline",
            "flux-dev",
            {"guidance_embeds": True},
            ("flux", 28, 3.5, 1024),
        ),
    ],
)
def test_family_defaults_per_model_family(
    cls_name: str, model: str, parts: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    from types import SimpleNamespace

    if cls_name == "FluxPipeline":
        pipe = _fake(
            cls_name,
            transformer=SimpleNamespace(
                config=SimpleNamespace(guidance_embeds=parts["guidance_embeds"])
            ),
            default_sample_size=128,
        )
    else:
        pipe = _fake(
            cls_name,
            unet=SimpleNamespace(config=SimpleNamespace(sample_size=parts["sample"])),
        )
    got = family_defaults(pipe, model)
    assert (got.family, got.steps, got.guidance, got.width) == expected


# -- the remote images API ---------------------------------------------------------


@pytest.fixture
def remote(settings: Any, llm_server: LLMServer) -> LLMServer:
    settings.IMAGE_PROVIDER = "openai"
    settings.IMAGE_REMOTE_MODEL = "dall-e-3"
    settings.IMAGE_REMOTE_BASE_URL = llm_server.base_url
    settings.IMAGE_REMOTE_API_KEY = "sk-test-image-key"
    settings.LLM_BACKOFF_SECONDS = 0.01
    settings.LLM_MAX_ATTEMPTS = 3
    settings.IMAGE_TIMEOUT_SECONDS = 2.0
    settings.IMAGE_RETRY_DEADLINE_SECONDS = 5.0
    return llm_server


def test_remote_provider_returns_the_decoded_image(remote: LLMServer) -> None:
    provider = get_image_provider()
    assert isinstance(provider, RemoteImageProvider)
    result = provider.generate(
        ImageRequest("a latte", width=1080, height=1920, style=BRAND)
    )
    (request,) = remote.image_requests()
    body = request.body or {}
    assert body["model"] == "dall-e-3" and body["n"] == 1
    assert body["response_format"] == "b64_json"
    assert body["size"] == "1024x1792"  # dall-e-3's size nearest 9:16
    assert "Avoid: cheap, plastic" in body["prompt"]
    assert result.image.size == (1024, 1792)
    assert result.final_prompt == body["prompt"]
    assert result.extra["revised_prompt"].startswith("revised: ")
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == "Bearer ***"


def test_remote_gpt_image_models_are_not_sent_response_format(
    remote: LLMServer, settings: Any
) -> None:
    settings.IMAGE_REMOTE_MODEL = "gpt-image-1"
    get_image_provider().generate(ImageRequest("a latte", width=1200, height=628))
    body = remote.image_requests()[0].body or {}
    assert "response_format" not in body and body["size"] == "1536x1024"


def test_remote_rate_limit_is_retried_then_succeeds(remote: LLMServer) -> None:
    remote.enqueue("rate_limit", retry_after=0.05)
    result = get_image_provider().generate(ImageRequest("a latte"))
    assert [r.behaviour for r in remote.image_requests()] == ["rate_limit", "ok"]
    assert result.image.size == (1024, 1024)


def test_remote_refused_prompt_is_permanent_and_not_retried(remote: LLMServer) -> None:
    remote.enqueue("bad_request")
    with pytest.raises(ImageError) as info:
        get_image_provider().generate(ImageRequest("something refused"))
    assert info.value.permanent and info.value.code == "refused"
    assert "safety system" in str(info.value)
    assert len(remote.image_requests()) == 1


def test_remote_server_errors_give_up_as_transient(remote: LLMServer) -> None:
    remote.enqueue("server_error", count=3)
    with pytest.raises(ImageError) as info:
        get_image_provider().generate(ImageRequest("a latte"))
    assert not info.value.permanent and info.value.code == "server_error"
    assert len(remote.image_requests()) == 3


def test_remote_bad_key_is_permanent_and_never_quotes_the_key(
    remote: LLMServer,
) -> None:
    remote.enqueue("bad_key")
    with pytest.raises(ImageError) as info:
        get_image_provider().generate(ImageRequest("a latte"))
    assert info.value.permanent and info.value.code == "bad_key"
    assert "sk-test-image-key" not in str(info.value)
    assert info.value.__cause__ is None


def test_remote_answer_that_is_not_an_image_is_permanent(remote: LLMServer) -> None:
    remote.enqueue("malformed")
    with pytest.raises(ImageError) as info:
        get_image_provider().generate(ImageRequest("a latte"))
    assert info.value.permanent and info.value.code == "bad_response"


def test_remote_size_falls_back_to_the_request_for_other_servers() -> None:
    assert remote_size("flux-on-some-server", 768, 512) == "768x512"
    assert remote_size("dall-e-2", 300, 300) == "256x256"


# -- the branded template card -------------------------------------------------------


def test_template_card_is_the_default_and_says_it_is_no_ai(settings: Any) -> None:
    settings.IMAGE_PROVIDER = "template"
    provider = get_image_provider()
    assert isinstance(provider, TemplateCardProvider)
    assert provider.display_name == DISPLAY_NAME == "Branded template card (no AI)"
    result = provider.generate(ImageRequest("x", headline="Fresh beans"))
    assert not result.ai_generated


@pytest.mark.parametrize("size", [(1080, 1080), (1080, 1350), (1200, 628), (64, 64)])
def test_template_card_has_the_requested_size(size: tuple[int, int]) -> None:
    result = TemplateCardProvider().generate(
        ImageRequest("x", width=size[0], height=size[1], style=BRAND, headline="Hi")
    )
    assert result.image.size == size and (result.width, result.height) == size


@pytest.mark.parametrize(
    "colours",
    [
        ("#0f766e", "#f59e0b"),  # teal; amber fails 4.5 on it: white
        ("#fef3c7", "#1e3a8a"),  # cream with a navy brand colour: navy
        ("#777777",),  # mid grey: the hardest case
        ("#ffff00", "#ffffff"),  # yellow; white is unreadable: black
        (),
    ],
)
def test_template_card_text_contrast_is_at_least_4_5(colours: tuple[str, ...]) -> None:
    style = BrandStyle(name="B", colours=colours)
    result = TemplateCardProvider().generate(
        ImageRequest("x", width=600, height=600, style=style, headline="Open today")
    )
    text = tuple(int(result.extra["text_colour"][i : i + 2], 16) for i in (1, 3, 5))
    background = tuple(
        int(result.extra["background"][i : i + 2], 16) for i in (1, 3, 5)
    )
    assert contrast_ratio(text, background) >= 4.5
    assert result.extra["contrast"] >= 4.5
    assert result.image.getpixel((1, 1)) == background
    assert text in {c for _, c in result.image.getcolors(600 * 600)}  # drawn
    if colours == ("#fef3c7", "#1e3a8a"):
        assert result.extra["text_colour"] == "#1e3a8a"  # a brand colour first


def test_template_card_wraps_a_long_headline_and_fits_it_in_its_box() -> None:
    from PIL import ImageFont

    from content.image_providers.template_card import FONT_PATH

    headline = (
        "Our new single-origin espresso blend arrives this Friday in every "
        "shop, with a free tasting for everyone who brings a friend along"
    )
    result = TemplateCardProvider().generate(
        ImageRequest("x", width=1200, height=628, style=BRAND, headline=headline)
    )
    lines = result.extra["lines"]
    left, top, right, bottom = result.extra["text_box"]
    font = ImageFont.truetype(str(FONT_PATH), result.extra["font_size"])
    assert len(lines) > 1
    assert " ".join(lines) == headline  # wrapped, nothing lost
    assert all(font.getlength(line) <= right - left for line in lines)
    assert len(lines) * result.extra["line_height"] <= bottom - top
    short = TemplateCardProvider().generate(
        ImageRequest("x", width=1200, height=628, style=BRAND, headline="Friday")
    )
    assert short.extra["font_size"] > result.extra["font_size"]  # size chosen to fit


def test_template_card_places_the_logo_top_left(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (200, 100), (200, 30, 30, 255)).save(logo)
    style = BrandStyle(name="B", colours=("#111827",), logo_path=logo)
    result = TemplateCardProvider().generate(
        ImageRequest("x", width=1000, height=1000, style=style, headline="Hello")
    )
    left, top, right, bottom = result.extra["logo_box"]
    assert (left, top) == (70, 70)  # the 7% margin
    assert right - left <= 300 and bottom - top <= 160
    assert (right - left) / (bottom - top) == pytest.approx(2, rel=0.02)
    centre = ((left + right) // 2, (top + bottom) // 2)
    assert result.image.getpixel(centre) == (200, 30, 30)
    assert result.extra["text_box"][1] > bottom  # the headline starts below it


def test_template_card_skips_an_unreadable_logo(tmp_path: Path) -> None:
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not an image")
    style = BrandStyle(name="B", logo_path=bad)
    result = TemplateCardProvider().generate(ImageRequest("x", style=style))
    assert result.extra["logo_box"] is None
    assert result.final_prompt == "B"  # the brand's name when there is no headline


def test_template_card_is_deterministic() -> None:
    request = ImageRequest("x", width=400, height=500, style=BRAND, headline="Same")
    a = TemplateCardProvider().generate(request)
    b = TemplateCardProvider().generate(request)
    assert a.image.tobytes() == b.image.tobytes()


def test_template_card_seeds_pick_different_layouts_each_reproducible() -> None:
    one_colour = BrandStyle(name="B", colours=("#1e3a8a",))
    cards = [
        TemplateCardProvider().generate(
            ImageRequest(
                "x", width=300, height=300, style=one_colour, headline="Hi", seed=s
            )
        )
        for s in range(4)
    ]
    assert len({c.image.tobytes() for c in cards}) == 4
    assert [c.seed for c in cards] == [0, 1, 2, 3]
    assert len({c.extra["layout"] for c in cards}) == 4
    # One brand colour: the band is a lighter shade of it, not missing.
    assert cards[0].extra["accent"] != cards[0].extra["background"]
    assert cards[0].image.getpixel((150, 299)) != cards[0].image.getpixel((1, 1))
    again = TemplateCardProvider().generate(
        ImageRequest(
            "x", width=300, height=300, style=one_colour, headline="Hi", seed=6
        )
    )
    assert again.image.tobytes() == cards[2].image.tobytes()  # 6 % 4 == 2


# -- queues ---------------------------------------------------------------------------


def test_image_tasks_go_to_the_images_queue() -> None:
    from config.celery import app

    def queue(name: str) -> str:
        return app.amqp.router.route({}, name, args=(), kwargs={})["queue"].name

    assert queue("content.tasks.generate_image") == "images"
    assert queue("content.tasks.generate_images_for_post") == "images"
    assert queue("content.tasks.run_generation") == "celery"


def test_the_demo_worker_consumes_the_images_queue_too() -> None:
    from publishing.management.commands.run_all import Command

    children = Command()._children(
        {"host": "127.0.0.1", "port": 8000, "threads": 2, "concurrency": 2}
    )
    worker = next(c for c in children if c.name == "worker")
    at = worker.argv.index("-Q")
    assert worker.argv[at + 1].split(",") == ["celery", "images"]
