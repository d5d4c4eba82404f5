"""How fast one photo becomes all five channel formats, against a naive Pillow loop.

    .venv/bin/python bench/renditions.py [--repeat 5] [--rounds 2] [--max-bytes N]

Makes a deterministic, photo-like 4000x3000 JPEG here (smooth light, a textured
subject off-centre, fine grain, an EXIF block; 4-5 MB), then, each in a child
process of its own so that their peak memory (ru_maxrss) does not mix:

- AdLoop: `content.renditions.render` into all five formats with a byte limit
  (`--max-bytes`, default 1,000,000: Bluesky's and the newsletter's, the strictest
  network; Instagram's 8 MB and X's 5 MB are then met too), the real path:
  decoded once, focus point, subject-keeping crops, sRGB, no metadata, codec and
  quality chosen to fit;
- naive: for each format, open the file again, centre-crop and resize it
  (`ImageOps.fit`, Lanczos) and save a JPEG at quality 90, no limit check.

Each child makes one uncounted image first (imports, allocator warm-up), then
`--repeat` timed ones; `--rounds` children per side run alternately, so that load
from elsewhere on the machine hits both. Prints images per second (one image =
one source into all five formats, from the median time per image), the ratio,
peak RSS (VmHWM) and what the work added to it over the imports, and whether the
naive outputs meet Bluesky's, X's and Instagram's byte limits; the figure is the
last line.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (4000, 3000)
#: Byte limits of the networks the naive outputs are checked against
#: (content.renditions.NETWORK_IMAGE_LIMITS).
LIMITS = {"bluesky": 1_000_000, "x": 5 * 1024 * 1024, "instagram": 8 * 1024 * 1024}


def make_source(path: Path) -> int:
    """A 4000x3000 photo-like JPEG (quality 92, with EXIF), the same every run.

    Low-frequency light and colour (a few octaves of smooth noise), a textured
    subject left of centre, and per-pixel grain: enough detail that a 1080x1920
    crop at quality 85-90 lands around the 1 MB limit, as a sharp phone photo does.
    """
    import numpy as np
    from PIL import Image

    w, h = SIZE
    rng = np.random.default_rng(2026)
    pixels = np.zeros((h, w, 3), dtype=np.float32)
    for cells, weight in ((3, 70.0), (9, 35.0), (40, 18.0), (200, 10.0)):
        small = rng.uniform(-1, 1, (cells * 3 // 4 + 2, cells + 2, 3))
        octave = Image.fromarray(((small + 1) * 127.5).astype(np.uint8), "RGB")
        octave = octave.resize(SIZE, Image.Resampling.BICUBIC)
        pixels += (np.asarray(octave, dtype=np.float32) / 127.5 - 1) * weight
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    pixels += np.stack([120 + 30 * y / h, 110 + 20 * x / w, 100 - 20 * y / h], -1)
    cx, cy, r = w * 0.3, h * 0.55, h * 0.18
    disc = (x - cx) ** 2 + (y - cy) ** 2 <= r**2
    stripes = np.sin((x + y) / 7.0)[..., None] * np.array([60, 40, 10], np.float32)
    pixels = np.where(disc[..., None], pixels + stripes + 40, pixels)
    # Fine texture (foliage, gravel, fabric) in the lower two thirds, in cells of 2-3
    # pixels so that it survives the downscale as real detail does; grain all over.
    grains = rng.normal(0, 50, (h // 3 + 1, w // 3 + 1, 3)).astype(np.float32)
    texture = grains.repeat(3, 0).repeat(3, 1)[:h, :w]
    ground = np.clip((y / h - 0.3) * 4, 0, 1)[..., None]
    pixels += texture * ground
    pixels += rng.normal(0, 5, pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x010F] = "AdLoop Bench Camera"  # Make
    exif[0x0110] = "Synthetic 12MP"  # Model
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path.stat().st_size


def _rss_kib() -> int:
    """Peak resident memory of this process, KiB. VmHWM, not ru_maxrss: Linux
    carries ru_maxrss over an exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux


def child(kind: str, source: Path, repeat: int, max_bytes: int) -> dict[str, object]:
    """Run one side in this process; returns its timings, sizes and memory."""
    from PIL import Image, ImageOps

    from content.renditions import FORMATS, render

    def adloop() -> list[int]:
        data = source.read_bytes()
        return [r.bytes for r in render(data, max_bytes=max_bytes)]

    def naive() -> list[int]:
        sizes = []
        for size in FORMATS.values():
            with Image.open(source) as image:
                fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
                out = io.BytesIO()
                fitted.save(out, "JPEG", quality=90)
            sizes.append(out.tell())
        return sizes

    work = adloop if kind == "adloop" else naive
    baseline = _rss_kib()
    sizes = work()  # uncounted: first-use costs
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        sizes = work()
        times.append(time.perf_counter() - started)
    return {
        "kind": kind,
        "times": times,
        "sizes": dict(zip(FORMATS, sizes, strict=True)),
        "peak_kib": _rss_kib(),
        "baseline_kib": baseline,
    }


def _run_child(kind: str, source: Path, repeat: int, max_bytes: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--source",
            str(source),
            "--repeat",
            str(repeat),
            "--max-bytes",
            str(max_bytes),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-bytes", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("adloop", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.source, args.repeat, args.max_bytes)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="adloop-bench-") as tmp:
        source = Path(tmp) / "photo.jpg"
        source_bytes = make_source(source)
        # Alternated, so that a burst of load from elsewhere hits both sides.
        rounds: dict[str, list[dict[str, Any]]] = {"adloop": [], "naive": []}
        for _ in range(args.rounds):
            for kind, done in rounds.items():
                done.append(_run_child(kind, source, args.repeat, args.max_bytes))

    runs = {kind: done[-1] for kind, done in rounds.items()}
    medians = {
        kind: statistics.median(t for run in done for t in run["times"])
        for kind, done in rounds.items()
    }
    rates = {kind: 1 / m for kind, m in medians.items()}
    mib = 1024
    print(
        f"source: {SIZE[0]}x{SIZE[1]} JPEG, {source_bytes / 1e6:.1f} MB; "
        f"{args.rounds} processes x {args.repeat} timed images per side (5 formats "
        "per image), alternated; median time per image"
    )
    for kind, label in (("adloop", "AdLoop render"), ("naive", "naive Pillow loop")):
        r = runs[kind]
        peak = max(run["peak_kib"] for run in rounds[kind])
        added = max(run["peak_kib"] - run["baseline_kib"] for run in rounds[kind])
        sizes = ", ".join(f"{f} {b / 1e6:.2f}" for f, b in r["sizes"].items())
        print(
            f"{label}: {rates[kind]:.2f} images/s ({medians[kind]:.2f} s/image); "
            f"peak RSS {peak / mib:.0f} MiB (+{added / mib:.0f} MiB over the "
            f"imports); MB: {sizes}"
        )
    adloop_max = max(runs["adloop"]["sizes"].values())
    print(f"AdLoop largest output {adloop_max:,} bytes (limit {args.max_bytes:,})")
    naive_sizes = runs["naive"]["sizes"]
    for network, limit in LIMITS.items():
        over = [f for f, b in naive_sizes.items() if b > limit]
        verdict = f"{len(over)} of 5 over ({', '.join(over)})" if over else "all fit"
        print(f"naive vs {network} limit {limit:,} bytes: {verdict}")
    naive_fits = all(b <= args.max_bytes for b in naive_sizes.values())
    print(
        f"renditions {rates['adloop']:.2f} images/s vs naive "
        f"{rates['naive']:.2f} images/s: {rates['adloop'] / rates['naive']:.2f}x; "
        f"limits met: AdLoop {'yes' if adloop_max <= args.max_bytes else 'NO'}, "
        f"naive {'yes' if naive_fits else 'no'}"
    )


if __name__ == "__main__":
    main()
