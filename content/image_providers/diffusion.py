"""Text-to-image with diffusers: `AutoPipelineForText2Image` on the best device.

One pipeline per (model, device, dtype, decoder) is loaded once per worker
process and kept (the `images` queue runs one worker process per GPU, so that is
one copy in GPU memory). Loading is guarded by a lock, and so is generation:
a diffusers pipeline (its scheduler) is not safe to call from two threads.

Steps, guidance and the native resolution default per model family, detected
from the pipeline class and its config (`families.family_defaults`).

Note on dtypes: diffusers 0.39 pipelines and models take `torch_dtype=`;
`dtype=` is ignored there with a log line (transformers renamed it, diffusers
not yet). `_load` passes `torch_dtype` and then checks the loaded dtype, casting
if a future release ignores it.
"""

from __future__ import annotations

import inspect
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from content.image_providers.families import FamilyDefaults, family_defaults
from content.images import (
    GeneratedImage,
    ImageError,
    ImageRequest,
    Progress,
    style_prompt,
)

logger = logging.getLogger(__name__)

TINY_VAES = {  # the light decoders (TAESD family) per latent space
    "sd": "madebyollin/taesd",
    "sdxl": "madebyollin/taesdxl",
    "flux": "madebyollin/taef1",
}


def best_device(model: str = "") -> tuple[str, Any]:
    """("cuda", float16) when a GPU is present, else ("mps", float16), else CPU
    in float32 (`IMAGE_DEVICE`/`IMAGE_DTYPE` override). FLUX on CUDA gets
    bfloat16: its activations overflow float16."""
    import torch

    wanted = settings.IMAGE_DEVICE
    if wanted != "auto":
        device = wanted
    elif torch.cuda.is_available():
        device = "cuda"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu"
    name = settings.IMAGE_DTYPE
    if name == "auto":
        name = "float32" if device == "cpu" else "float16"
        if device == "cuda" and "flux" in model.lower():
            name = "bfloat16"
    return device, getattr(torch, name)


def _is_folder(model: str) -> bool:
    return Path(model).expanduser().is_dir()


def fp16_variant(folder: Path) -> str | None:
    """ "fp16" when the folder's weights exist only as `*.fp16.*` files."""
    weights = [
        p.name
        for p in folder.rglob("*")
        if p.suffix in {".safetensors", ".bin"} and p.is_file()
    ]
    fp16 = [n for n in weights if ".fp16." in n]
    return "fp16" if fp16 and len(fp16) == len(weights) else None


_pipelines: dict[tuple[str, str, str, str], Any] = {}
_locks: dict[tuple[str, str, str, str], threading.Lock] = {}
_load_lock = threading.Lock()


def clear_cache() -> None:
    """Forget the loaded pipelines (tests; a worker never needs to)."""
    with _load_lock:
        _pipelines.clear()
        _locks.clear()


def _offline(model: str) -> bool:
    return os.environ.get("HF_HUB_OFFLINE") == "1" or _is_folder(model)


def _load(model: str, device: str, dtype: Any, vae: str, tiny_vae: str) -> Any:
    from diffusers import AutoPipelineForText2Image

    local = _offline(model)
    kwargs: dict[str, Any] = {"torch_dtype": dtype, "local_files_only": local}
    variant = settings.IMAGE_VARIANT or (
        fp16_variant(Path(model).expanduser()) if _is_folder(model) else None
    )
    if variant:
        kwargs["variant"] = variant
    started = time.monotonic()
    if vae == "tiny":
        # Given to from_pretrained as the pipeline's `vae`: the full autoencoder
        # is then never read from disk (same result as `pipe.vae = ...` after
        # loading, without holding both in memory).
        kwargs["vae"] = _load_tiny_vae(tiny_vae or TINY_VAES["sd"], dtype)
    try:
        pipe = AutoPipelineForText2Image.from_pretrained(model, **kwargs)
    except (OSError, ValueError) as exc:
        where = "folder" if _is_folder(model) else "model"
        hint = (
            " HF_HUB_OFFLINE=1 is set: the model must already be in the cache."
            if os.environ.get("HF_HUB_OFFLINE") == "1" and not _is_folder(model)
            else ""
        )
        raise ImageError(
            f"Could not load the image {where} {model!r} (IMAGE_MODEL): "
            f"{str(exc)[:300]}.{hint}",
            permanent=True,
            code="model_unavailable",
        ) from exc
    if getattr(pipe, "dtype", dtype) != dtype:  # a release that ignored the kwarg
        pipe = pipe.to(dtype=dtype)
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    logger.info(
        "images: loaded %s (%s) on %s/%s in %.1fs",
        model,
        type(pipe).__name__,
        device,
        str(dtype).removeprefix("torch."),
        time.monotonic() - started,
    )
    return pipe


def _load_tiny_vae(source: str, dtype: Any) -> Any:
    """The light decoder (an `AutoencoderTiny`) from a hub id or a folder, under
    the same offline rules as the model; a missing one is a setting to fix, said
    as such, not a traceback from deep inside the hub client."""
    from diffusers import AutoencoderTiny

    try:
        tiny = AutoencoderTiny.from_pretrained(
            source, torch_dtype=dtype, local_files_only=_offline(source)
        )
    except (OSError, ValueError) as exc:
        hint = (
            " HF_HUB_OFFLINE=1 is set: it must already be in the cache."
            if os.environ.get("HF_HUB_OFFLINE") == "1" and not _is_folder(source)
            else ""
        )
        raise ImageError(
            f"Could not load the light decoder {source!r} (IMAGE_TINY_VAE, used "
            f"with IMAGE_VAE=tiny): {str(exc)[:300]}.{hint}",
            permanent=True,
            code="model_unavailable",
        ) from exc
    if tiny.dtype != dtype:  # a release that ignored the kwarg
        tiny = tiny.to(dtype=dtype)
    return tiny


def _pipeline(
    model: str, device: str, dtype: Any, vae: str, tiny_vae: str
) -> tuple[Any, threading.Lock]:
    key = (model, device, str(dtype), f"{vae}:{tiny_vae}" if vae == "tiny" else vae)
    with _load_lock:  # one load at a time; the cache is per worker process
        if key not in _pipelines:
            _pipelines[key] = _load(model, device, dtype, vae, tiny_vae)
            _locks[key] = threading.Lock()
        return _pipelines[key], _locks[key]


class DiffusionProvider:
    """A diffusers text-to-image pipeline (SD 1.5/2.x, the Turbos, SDXL, FLUX)."""

    name = "diffusers"

    def __init__(
        self,
        *,
        model: str,
        vae: str = "full",
        tiny_vae: str = "",
        pipeline: Any | None = None,
    ) -> None:
        """`pipeline`: an already built pipeline to use instead of loading
        `model` (the benchmark's random-weights architectures)."""
        if not model and pipeline is None:
            raise ImageError(
                "No image model configured: set IMAGE_MODEL to a hub id (e.g. "
                "stabilityai/sd-turbo) or a folder made by save_pretrained.",
                permanent=True,
                code="no_model",
            )
        if vae not in {"full", "tiny"}:
            raise ImageError(
                f"IMAGE_VAE must be 'full' or 'tiny', got {vae!r}.",
                permanent=True,
                code="bad_setting",
            )
        self.model = model
        self.vae = vae
        self.tiny_vae = tiny_vae
        self._pipeline = pipeline
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, model: str | None = None, vae: str | None = None
    ) -> DiffusionProvider:
        return cls(
            model=model or settings.IMAGE_MODEL,
            vae=vae or settings.IMAGE_VAE,
            tiny_vae=settings.IMAGE_TINY_VAE,
        )

    def __repr__(self) -> str:
        return f"<DiffusionProvider {self.model} vae={self.vae}>"

    def loaded(self) -> tuple[Any, threading.Lock, str, Any]:
        """The pipeline (loading it on first use), its lock, device and dtype."""
        if self._pipeline is not None:
            pipe = self._pipeline
            return pipe, self._lock, str(pipe.device.type), pipe.dtype
        device, dtype = best_device(self.model)
        pipe, lock = _pipeline(self.model, device, dtype, self.vae, self._tiny())
        return pipe, lock, device, dtype

    def _tiny(self) -> str:
        if self.vae != "tiny":
            return ""
        if self.tiny_vae:
            return self.tiny_vae
        lowered = self.model.lower()
        if "flux" in lowered:
            return TINY_VAES["flux"]
        return TINY_VAES["sdxl"] if "xl" in lowered else TINY_VAES["sd"]

    def defaults(self) -> FamilyDefaults:
        pipe, _, _, _ = self.loaded()
        return family_defaults(pipe, self.model)

    def generate(
        self, request: ImageRequest, *, progress: Progress | None = None
    ) -> GeneratedImage:
        import torch

        pipe, lock, device, dtype = self.loaded()
        fam = family_defaults(pipe, self.model)
        steps, guidance = _steps_and_guidance(request, fam)
        width = _fit(request.width or fam.width, fam.multiple)
        height = _fit(request.height or fam.height, fam.multiple)
        seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
        prompt, negative = style_prompt(
            request.prompt, request.style, request.negative_prompt
        )
        # A CPU generator on MPS: MPS generators are not reproducible across runs.
        generator = torch.Generator(device="cpu" if device == "mps" else device)
        generator.manual_seed(seed)
        params = inspect.signature(pipe.__call__).parameters
        kwargs: dict[str, Any] = {
            "prompt": prompt,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "width": width,
            "height": height,
            "generator": generator,
            "output_type": "pil",
        }
        if "negative_prompt" in params and negative:
            kwargs["negative_prompt"] = negative
        else:
            negative = ""  # FLUX has none: record what the model was given
        if progress is not None and "callback_on_step_end" in params:
            kwargs["callback_on_step_end"] = _on_step_end(progress, steps)
        started = time.monotonic()
        output = _run(pipe, lock, kwargs, device=device)
        seconds = time.monotonic() - started
        image = output.images[0]
        return GeneratedImage(
            image=image,
            provider=self.name,
            model=self.model or type(pipe).__name__,
            final_prompt=prompt,
            negative_prompt=negative,
            seed=seed,
            steps=steps,
            guidance=guidance,
            width=image.width,
            height=image.height,
            device=device,
            dtype=str(dtype).removeprefix("torch."),
            seconds=seconds,
            extra={
                "family": fam.family,
                "vae": self.vae,
                # Which decoder drew the pixels: part of the provenance, as a
                # light decoder's output differs from the full one's.
                "vae_model": self._tiny() if self.vae == "tiny" else "",
            },
        )


def _run(
    pipe: Any, lock: threading.Lock, kwargs: dict[str, Any], *, device: str
) -> Any:
    """One pipeline call, alone on the pipeline; out of memory is transient."""
    import torch

    try:
        with lock, torch.inference_mode():
            return pipe(**kwargs)
    except torch.OutOfMemoryError as exc:
        if device == "cuda":
            torch.cuda.empty_cache()
        raise ImageError(
            f"Out of {device} memory at {kwargs['width']}x{kwargs['height']}: try a "
            "smaller size or IMAGE_VAE=tiny.",
            permanent=False,
            code="out_of_memory",
        ) from exc


def _steps_and_guidance(
    request: ImageRequest, fam: FamilyDefaults
) -> tuple[int, float]:
    """The request's, else the settings', else the model family's."""
    steps = request.steps if request.steps is not None else settings.IMAGE_STEPS
    guidance = request.guidance
    if guidance is None:
        guidance = settings.IMAGE_GUIDANCE
    return int(steps or fam.steps), float(
        fam.guidance if guidance is None else guidance
    )


def _on_step_end(progress: Progress, steps: int) -> Callable[..., dict[str, Any]]:
    """The pipeline's step callback, reporting `(step done, steps)`."""

    def on_step_end(
        _pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        progress(step + 1, steps)
        return callback_kwargs

    return on_step_end


def _fit(value: int, multiple: int) -> int:
    return max(multiple, int(value) // multiple * multiple)
