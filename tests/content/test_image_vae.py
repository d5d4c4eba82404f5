"""The light decoder (IMAGE_VAE=tiny): an AutoencoderTiny built and saved here,
loaded offline through the settings in place of the pipeline's full VAE, and named
in the result's provenance. A missing decoder is a clear, permanent error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from content.image_providers import diffusion
from content.images import ImageError, ImageRequest, get_image_provider
from tests.image_models import build_tiny_vae, tiny_sd_folder

__all__ = ["tiny_sd_folder"]  # a fixture used here

# Narrower than tests.image_models.TINY_TAESD (4 channels, not 8),
# so the loaded decoder can be told apart from it by its config.
LIGHT: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "encoder_block_out_channels": (4, 4),
    "decoder_block_out_channels": (4, 4),
    "num_encoder_blocks": (1, 1),
    "num_decoder_blocks": (1, 1),
    "latent_channels": 4,
}


@pytest.fixture
def light(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, tiny_sd_folder: Path
) -> Iterator[Path]:
    """The tiny pipeline through IMAGE_MODEL, offline, with IMAGE_VAE=tiny pointing
    at a freshly saved AutoencoderTiny."""
    folder = tmp_path / "taesd"
    build_tiny_vae(folder, config=LIGHT)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_PROVIDER = "diffusers"
    settings.IMAGE_MODEL = str(tiny_sd_folder)
    settings.IMAGE_VAE = "tiny"
    settings.IMAGE_TINY_VAE = str(folder)
    settings.IMAGE_DEVICE = "cpu"
    settings.IMAGE_DTYPE = "auto"
    settings.IMAGE_STEPS = 0
    settings.IMAGE_GUIDANCE = None
    diffusion.clear_cache()
    yield folder
    diffusion.clear_cache()


def test_the_light_decoder_replaces_the_full_vae_and_is_recorded(light: Path) -> None:
    import torch
    from diffusers import AutoencoderKL, AutoencoderTiny

    provider = get_image_provider()
    result = provider.generate(ImageRequest("a cup", width=64, height=64, seed=5))
    pipe = provider.loaded()[0]

    assert isinstance(pipe.vae, AutoencoderTiny)
    assert not any(isinstance(m, AutoencoderKL) for m in pipe.components.values())
    assert tuple(pipe.vae.config.decoder_block_out_channels) == (4, 4)
    assert pipe.vae.dtype == torch.float32 == pipe.unet.dtype
    assert result.image.size == (64, 64)
    assert result.extra["vae"] == "tiny"
    assert result.extra["vae_model"] == str(light)


def test_the_full_decoder_records_no_light_decoder(light: Path, settings: Any) -> None:
    from diffusers import AutoencoderKL

    settings.IMAGE_VAE = "full"
    provider = get_image_provider()
    result = provider.generate(ImageRequest("a cup", width=64, height=64, seed=5))

    assert isinstance(provider.loaded()[0].vae, AutoencoderKL)
    assert result.extra["vae"] == "full" and result.extra["vae_model"] == ""


def test_the_light_decoder_follows_the_dtype_setting(
    light: Path, settings: Any
) -> None:
    import torch

    settings.IMAGE_DTYPE = "bfloat16"
    provider = get_image_provider()
    result = provider.generate(ImageRequest("a cup", width=64, height=64, seed=5))
    pipe = provider.loaded()[0]

    assert pipe.vae.dtype == torch.bfloat16 == pipe.unet.dtype
    assert result.dtype == "bfloat16" and result.image.size == (64, 64)


def test_a_light_decoder_missing_offline_is_a_permanent_setting_error(
    light: Path, settings: Any
) -> None:
    settings.IMAGE_TINY_VAE = "adloop-tests/no-such-taesd"
    with pytest.raises(ImageError) as info:
        get_image_provider().generate(
            ImageRequest("a cup", width=64, height=64, seed=5)
        )
    assert info.value.permanent and info.value.code == "model_unavailable"
    assert "IMAGE_TINY_VAE" in str(info.value)
    assert "HF_HUB_OFFLINE=1" in str(info.value)
