"""The model families diffusers pipelines belong to, and what each defaults to:
steps, guidance, native size and the multiple a size is rounded to. Detected
from the loaded pipeline (class, scheduler and transformer config), so a saved
folder or an unknown hub id gets the right defaults without a table of names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FamilyDefaults:
    family: str  # "sd-turbo", "sd", "sdxl-turbo", "sdxl", "flux-schnell", "flux"
    steps: int
    guidance: float
    width: int
    height: int
    multiple: int  # width and height are rounded down to a multiple of this


def family_defaults(pipe: Any, model: str) -> FamilyDefaults:
    """Steps, guidance and native size for the loaded pipeline.

    Distilled models (SD-Turbo, SDXL-Turbo) are told apart from their parents by
    the name or a "trailing" timestep spacing in the scheduler config (what the
    Turbo repositories ship); FLUX-schnell by a transformer without guidance
    embeddings (FLUX-dev has them).
    """
    cls = type(pipe).__name__
    name = model.lower()
    scheduler = getattr(pipe, "scheduler", None)
    spacing = getattr(getattr(scheduler, "config", None), "timestep_spacing", "")
    distilled = any(w in name for w in ("turbo", "lightning", "lcm", "hyper"))
    distilled = distilled or spacing == "trailing"
    scale = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    if "Flux" in cls:
        transformer = getattr(pipe, "transformer", None)
        guided = getattr(getattr(transformer, "config", None), "guidance_embeds", True)
        size = int(getattr(pipe, "default_sample_size", 128)) * scale
        if not guided or "schnell" in name:
            return FamilyDefaults("flux-schnell", 4, 0.0, size, size, 16)
        return FamilyDefaults("flux", 28, 3.5, size, size, 16)
    unet = getattr(pipe, "unet", None)
    sample = getattr(getattr(unet, "config", None), "sample_size", None)
    if isinstance(sample, (list, tuple)):
        sample = sample[0]
    size = int(sample or 64) * scale
    if "XL" in cls:
        if distilled:
            return FamilyDefaults("sdxl-turbo", 1, 0.0, size, size, 8)
        return FamilyDefaults("sdxl", 30, 5.0, size, size, 8)
    if distilled:
        return FamilyDefaults("sd-turbo", 1, 0.0, size, size, 8)
    return FamilyDefaults("sd", 25, 7.5, size, size, 8)
