"""Helpers of the media-library tests: images made in the test, an isolated
MEDIA_ROOT, and listing what is on disk."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image


def image_bytes(
    size: tuple[int, int] = (32, 24),
    fmt: str = "PNG",
    colour: tuple[int, int, int] = (200, 80, 40),
    exif_gps: bool = False,
) -> bytes:
    """A small still image; with `exif_gps`, a JPEG carrying a GPS EXIF tag."""
    image = Image.new("RGB", size, colour)
    # A different pixel per colour keeps checksums apart.
    image.putpixel((0, 0), (colour[2], colour[0], colour[1]))
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "TestCam"  # Make
        exif[0x8825] = {1: "N", 2: (48.0, 8.0, 0.0)}  # GPSInfo
        options["exif"] = exif
    image.save(out, fmt, **options)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A PNG whose header declares side x side pixels (a decompression bomb):
    only the header and a tiny compressed stream, a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # 1-bit grey
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    data = zlib.compress(row * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """MEDIA_ROOT in a fresh folder, so a test can see every file written."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def rendered(asset: Any) -> Any:
    """The asset after the images worker's task has run (the upload request
    stores the original only; `content.tasks.render_asset` makes the rest)."""
    from content.tasks import render_asset

    render_asset(asset.pk)
    asset.refresh_from_db()
    return asset
