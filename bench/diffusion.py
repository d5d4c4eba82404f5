"""Seconds per image of an SD-Turbo-sized pipeline, full VAE against the light one.

    .venv/bin/python bench/diffusion.py [--sizes 256,512] [--steps 1] [--repeat 1]
        [--device cpu|cuda] [--vaes full,tiny]

Nothing is downloaded: the architecture of stabilityai/sd-turbo (the SD 2.1 base
UNet, 865M parameters; the OpenCLIP ViT-H text encoder, 340M; the SD
AutoencoderKL, 84M) is built here with random weights (the tokenizer made on the
spot as in tests/image_models.py), saved with `save_pretrained` into a temporary
folder, and loaded by AdLoop's diffusers provider through `IMAGE_MODEL`, the
path a worker takes. The light decoder is an `AutoencoderTiny` of TAESD's size
(random weights, saved likewise, `IMAGE_VAE=tiny` + `IMAGE_TINY_VAE`). Random
weights draw noise, but cost the same arithmetic as trained ones.

The build runs in one child process and each decoder in another, so that every
peak RSS (VmHWM) is that process's own. Each child loads the pipeline (timed),
makes one uncounted 64x64 image (first-use costs), then `--repeat` images per
size at `--steps` steps (the Turbo family's guidance 0: one UNet pass per step),
timing the whole call and, inside it, the VAE decode, in wall-clock and in CPU
seconds (all threads; less disturbed by other work on a shared machine); the
fastest repeat is reported. On `--device cuda` the dtype is float16 (the
provider's default there) and peak GPU memory is reported. Prints a table; the
figure is the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: stabilityai/sd-turbo unet/config.json (SD 2.1 base at 512x512).
SD21_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": (
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ),
    "up_block_types": (
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
    ),
    "cross_attention_dim": 1024,
    "attention_head_dim": (5, 10, 20, 20),
    "use_linear_projection": True,
    "norm_num_groups": 32,
}
#: stabilityai/sd-turbo text_encoder/config.json (OpenCLIP ViT-H/14 text tower).
OPENCLIP_H_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_attention_heads": 16,
    "num_hidden_layers": 23,
    "max_position_embeddings": 77,
    "projection_dim": 512,
    "hidden_act": "gelu",
}
#: stabilityai/sd-turbo vae/config.json.
SD_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": (128, 256, 512, 512),
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "sample_size": 512,
}
#: madebyollin/taesd config.json (the diffusers AutoencoderTiny defaults).
TAESD: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "encoder_block_out_channels": (64, 64, 64, 64),
    "decoder_block_out_channels": (64, 64, 64, 64),
    "num_encoder_blocks": (1, 3, 3, 3),
    "num_decoder_blocks": (3, 3, 3, 1),
    "latent_channels": 4,
    "upsampling_scaling_factor": 2,
}
PROMPT = "A flat white on a walnut counter, morning light, shallow depth of field"


def _rss_mib() -> float:
    """Peak resident memory of this process (VmHWM: not carried over an exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def build(folder: Path) -> dict[str, Any]:
    """Child: build both architectures with random weights and save them."""
    from tests.image_models import build_pipeline, build_tiny_vae

    started = time.perf_counter()
    pipe = build_pipeline(
        folder / "sd-turbo-sized", unet=SD21_UNET, vae=SD_VAE, text=OPENCLIP_H_TEXT
    )
    tiny = build_tiny_vae(folder / "taesd-sized", config=TAESD)
    return {
        "seconds": time.perf_counter() - started,
        "params": {
            "unet": _params(pipe.unet),
            "text_encoder": _params(pipe.text_encoder),
            "vae": _params(pipe.vae),
            "tiny_vae": _params(tiny),
        },
        "bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()),
        "peak_rss_mib": _rss_mib(),
    }


def _worker_settings(folder: Path, vae: str, device: str) -> None:
    """The environment a worker with this model would have (no network)."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        HF_HUB_OFFLINE="1",
        IMAGE_PROVIDER="diffusers",
        IMAGE_MODEL=str(folder / "sd-turbo-sized"),
        IMAGE_VAE=vae,
        IMAGE_TINY_VAE=str(folder / "taesd-sized"),
        IMAGE_DEVICE=device,
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'unused.sqlite3'}")


def _time_decodes(pipe: Any, device: str) -> list[tuple[float, float]]:
    """Wrap the pipeline's VAE decode; the list gets (wall, CPU) per call."""
    import torch

    decode_s: list[tuple[float, float]] = []
    decode = pipe.vae.decode

    def timed_decode(*args: Any, **kwargs: Any) -> Any:
        if device == "cuda":
            torch.cuda.synchronize()
        began, cpu = time.perf_counter(), time.process_time()
        out = decode(*args, **kwargs)
        if device == "cuda":
            torch.cuda.synchronize()
        decode_s.append((time.perf_counter() - began, time.process_time() - cpu))
        return out

    pipe.vae.decode = timed_decode  # the pipeline calls self.vae.decode(...)
    return decode_s


def generate(
    folder: Path, vae: str, sizes: list[int], steps: int, repeat: int, device: str
) -> dict[str, Any]:
    """Child: load through the settings, as a worker does, and time images."""
    _worker_settings(folder, vae, device)
    import django

    django.setup()
    import torch

    from content.image_providers.diffusion import DiffusionProvider
    from content.images import ImageRequest, get_image_provider

    provider = get_image_provider()
    assert isinstance(provider, DiffusionProvider)  # IMAGE_PROVIDER=diffusers above
    started = time.perf_counter()
    pipe, _, _, dtype = provider.loaded()
    load_s = time.perf_counter() - started

    decode_s = _time_decodes(pipe, device)  # (wall, CPU) per decode call

    def one(size: int, seed: int) -> dict[str, float]:
        decode_s.clear()
        began, cpu = time.perf_counter(), time.process_time()
        result = provider.generate(
            ImageRequest(PROMPT, width=size, height=size, steps=steps, seed=seed)
        )
        assert result.image.size == (size, size), result.image.size
        return {
            "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu,
            "decode_seconds": sum(d[0] for d in decode_s),
            "decode_cpu_seconds": sum(d[1] for d in decode_s),
        }

    one(64, 0)  # uncounted: first-use costs (kernels, allocator)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    results = {}
    for size in sizes:
        runs = [one(size, seed) for seed in range(1, repeat + 1)]
        results[str(size)] = {key: [r[key] for r in runs] for key in runs[0]}
    return {
        "vae": vae,
        "device": device,
        "dtype": str(dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        "load_seconds": load_s,
        "sizes": results,
        "peak_rss_mib": _rss_mib(),
        "peak_gpu_mib": (
            torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
        ),
    }


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"bench child {args[1]} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="256,512", help="comma-separated, px")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--vaes", default="full,tiny", help="full, tiny or both")
    parser.add_argument("--child", choices=("build", "generate"), help="internal")
    parser.add_argument("--folder", type=Path, help="internal")
    parser.add_argument("--vae", default="full", help="internal")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child == "build":
        print(json.dumps(build(args.folder)))
        return
    if args.child == "generate":
        result = generate(
            args.folder, args.vae, sizes, args.steps, args.repeat, args.device
        )
        print(json.dumps(result))
        return

    vaes = [v for v in args.vaes.split(",") if v]
    load = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="adloop-bench-diffusion-"))
    try:
        built = _child("--child", "build", "--folder", str(tmp))
        common = ["--sizes", args.sizes, "--steps", str(args.steps)]
        common += ["--repeat", str(args.repeat), "--device", args.device]
        runs = {
            vae: _child(
                "--child", "generate", "--folder", str(tmp), "--vae", vae, *common
            )
            for vae in vaes
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    _report(args, sizes, built, runs, load)


def _report(
    args: argparse.Namespace,
    sizes: list[int],
    built: dict[str, Any],
    runs: dict[str, dict[str, Any]],
    load: float,
) -> None:
    """Print what the children measured, then the one-line figure."""
    params = built["params"]
    millions = ", ".join(f"{k} {v / 1e6:.1f}M" for k, v in params.items())
    print(
        f"built with random weights in {built['seconds']:.0f} s: {millions}; "
        f"{built['bytes'] / 1e9:.2f} GB on disk"
    )
    first = next(iter(runs.values()))
    print(
        f"device {args.device}, {first['dtype']}, {first['threads']} torch threads; "
        f"{args.steps} step(s), guidance 0; best of {args.repeat} per size; "
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    best: dict[tuple[str, int], tuple[float, float]] = {}  # (wall, CPU)
    for vae, run in runs.items():
        gpu = run["peak_gpu_mib"]
        memory = f"peak RSS {run['peak_rss_mib'] / 1024:.1f} GiB" + (
            f", peak GPU memory {gpu / 1024:.2f} GiB" if gpu is not None else ""
        )
        print(f"{vae} VAE: loaded in {run['load_seconds']:.1f} s; {memory}")
        for size in sizes:
            runs_at = run["sizes"][str(size)]
            # The fastest repeat: what load from elsewhere disturbed least.
            fastest = min(range(args.repeat), key=runs_at["seconds"].__getitem__)
            timing = {k: v[fastest] for k, v in runs_at.items()}
            total, decode = timing["seconds"], timing["decode_seconds"]
            best[(vae, size)] = (total, timing["cpu_seconds"])
            print(
                f"  {size}x{size}: {total:.2f} s/image, of which VAE decode "
                f"{decode:.2f} s ({decode / total:.0%}); CPU time "
                f"{timing['cpu_seconds']:.1f} s, decode "
                f"{timing['decode_cpu_seconds']:.1f} s"
            )
    figure = []
    for size in sizes:
        parts = [f"{vae} {best[(vae, size)][0]:.2f} s" for vae in runs]
        if "full" in runs and "tiny" in runs:
            (full, full_cpu), (tiny, tiny_cpu) = best["full", size], best["tiny", size]
            parts.append(
                f"tiny {full / tiny:.1f}x faster (CPU time {full_cpu / tiny_cpu:.1f}x)"
            )
        figure.append(f"{size}²: " + ", ".join(parts))
    print(f"seconds per image ({args.device}, {args.steps} step): " + "; ".join(figure))


if __name__ == "__main__":
    main()
