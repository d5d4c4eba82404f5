"""Tiny Stable Diffusion pipelines with random weights, built in the test.

Nothing is downloaded: the UNet, VAE, CLIP text encoder, scheduler and the CLIP
tokenizer (from a vocabulary and merges file written here) are made from small
configs and saved with `save_pretrained` into a temporary folder, which AdLoop
then loads through its normal `IMAGE_MODEL` setting. A pipeline is a few hundred
kilobytes and generates a 64x64 image in milliseconds on a CPU.

The same builders serve `bench/diffusion.py`, which passes full-size configs.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# A tiny architecture: 64x64 images, 32x32 latents (the VAE downsamples by 2).
TINY_UNET: dict[str, Any] = {
    "sample_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 1,
    "block_out_channels": (8, 16),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "cross_attention_dim": 16,
    "attention_head_dim": 2,
    "norm_num_groups": 4,
}
TINY_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": (8, 16),
    "down_block_types": ("DownEncoderBlock2D",) * 2,
    "up_block_types": ("UpDecoderBlock2D",) * 2,
    "latent_channels": 4,
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "sample_size": 64,
}
TINY_TEXT: dict[str, Any] = {
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "max_position_embeddings": 77,
    "projection_dim": 16,
}
# An AutoencoderTiny (TAESD layout) matching TINY_VAE's factor of 2.
TINY_TAESD: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "encoder_block_out_channels": (8, 8),
    "decoder_block_out_channels": (8, 8),
    "num_encoder_blocks": (1, 1),
    "num_decoder_blocks": (1, 1),
    "latent_channels": 4,
}
# An SD-Turbo-like scheduler: Euler, "trailing" spacing (1 to 4 steps).
TURBO_SCHEDULER: dict[str, Any] = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "timestep_spacing": "trailing",
    "prediction_type": "epsilon",
    "steps_offset": 1,
}


def write_tokenizer_files(folder: Path) -> tuple[Path, Path]:
    """A CLIP BPE vocabulary of single characters (and their end-of-word forms).

    Every word tokenizes to its letters: a real tokenizer in behaviour and file
    format, small enough to write by hand.
    """
    folder.mkdir(parents=True, exist_ok=True)
    symbols = string.ascii_lowercase + string.digits + ".,;:!?'-#&()"
    tokens = ["<|startoftext|>", "<|endoftext|>", "!"]
    for ch in symbols:
        for token in (ch, f"{ch}</w>"):
            if token not in tokens:
                tokens.append(token)
    vocab = {token: i for i, token in enumerate(tokens)}
    vocab_file = folder / "vocab.json"
    merges_file = folder / "merges.txt"
    vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
    merges_file.write_text("#version: 0.2\n", encoding="utf-8")
    return vocab_file, merges_file


def build_pipeline(
    folder: Path,
    *,
    unet: dict[str, Any] | None = None,
    vae: dict[str, Any] | None = None,
    text: dict[str, Any] | None = None,
    scheduler: dict[str, Any] | None = None,
    seed: int = 0,
    save: bool = True,
) -> Any:
    """A StableDiffusionPipeline with random weights; saved into `folder`.

    Returns the pipeline (also when `save` is False, for the benchmark, which
    does not write gigabytes of random weights to disk).
    """
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    vocab_file, merges_file = write_tokenizer_files(folder / "_tokenizer_src")
    tokenizer = CLIPTokenizer(
        vocab_file=str(vocab_file), merges_file=str(merges_file), model_max_length=77
    )
    # `text` may set a larger vocab_size (the benchmark's real-size embedding
    # table): the tokenizer's ids stay below it.
    text_fields = {"vocab_size": len(tokenizer.get_vocab()), **(text or TINY_TEXT)}
    text_config = CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **text_fields,
    )
    pipe = StableDiffusionPipeline(
        vae=AutoencoderKL(**(vae or TINY_VAE)),
        text_encoder=CLIPTextModel(text_config).eval(),
        tokenizer=tokenizer,
        unet=UNet2DConditionModel(**(unet or TINY_UNET)),
        scheduler=EulerDiscreteScheduler(**(scheduler or TURBO_SCHEDULER)),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    if save:
        pipe.save_pretrained(folder, safe_serialization=True)
    return pipe


def build_tiny_vae(folder: Path | None, *, config: dict[str, Any] | None = None) -> Any:
    """An AutoencoderTiny (TAESD layout) with random weights; saved if `folder`."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(1)
    vae = AutoencoderTiny(**(config or TINY_TAESD))
    if folder is not None:
        vae.save_pretrained(folder, safe_serialization=True)
    return vae


@pytest.fixture(scope="session")
def tiny_sd_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A saved tiny Stable Diffusion pipeline (random weights), once per session."""
    folder = tmp_path_factory.mktemp("tiny-sd-turbo")
    build_pipeline(folder)
    yield folder


@pytest.fixture(scope="session")
def tiny_taesd_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A saved AutoencoderTiny matching `tiny_sd_folder`, once per session."""
    folder = tmp_path_factory.mktemp("tiny-taesd")
    build_tiny_vae(folder)
    yield folder
