"""Uploads are judged by content: each bad kind gets its own code and message."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from content.uploads import MAX_PIXELS, CheckedImage, UploadRejected, inspect_upload

MB = 1024 * 1024


def _image_bytes(fmt: str, size: tuple[int, int] = (64, 48), **kw: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, fmt, **kw)
    return out.getvalue()


def _frames(n: int = 3) -> list[Image.Image]:
    return [Image.new("RGB", (32, 32), (60 * i, 100, 200 - 50 * i)) for i in range(n)]


def _animated(fmt: str) -> bytes:
    out = io.BytesIO()
    first, *rest = _frames()
    first.save(out, fmt, save_all=True, append_images=rest, duration=100, loop=0)
    return out.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` (a decompression bomb's
    shape: a few hundred bytes that would decode to gigabytes)."""
    data = _image_bytes("PNG", (8, 8))
    ihdr = struct.pack(">II", width, height) + data[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return data[:16] + ihdr + crc + data[33:]


def _rejected(data: object, **kw: object) -> UploadRejected:
    options: dict[str, object] = {"filename": "photo.png", "max_bytes": 5 * MB}
    options.update(kw)
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(data, **options)  # type: ignore[arg-type]
    return caught.value


class _Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_total = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        assert n > 0, "an unbounded read of the upload"
        self.read_total += n
        return b"\xff" * n


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("GIF", "image/gif"),
    ],
)
def test_each_accepted_still_format_is_identified(fmt: str, content_type: str) -> None:
    data = _image_bytes(fmt)
    checked = inspect_upload(data, filename="x.bin", max_bytes=MB)
    assert checked == CheckedImage(
        format=fmt,
        content_type=content_type,
        width=64,
        height=48,
        animated=False,
        frames=1,
        size=len(data),
        data=data,
    )


def test_a_jpeg_named_png_is_taken_for_the_jpeg_it_is_and_the_stream_rewound() -> None:
    stream = io.BytesIO(b"prefix" + _image_bytes("JPEG"))
    stream.seek(6)
    checked = inspect_upload(stream, filename="photo.png", max_bytes=MB)
    assert (checked.format, checked.content_type) == ("JPEG", "image/jpeg")
    assert stream.tell() == 6


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\n", "a PDF"),
        (b"PK\x03\x04" + b"\0" * 60, "a ZIP archive or an Office document"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "an SVG drawing"),
        (b"MZ\x90\x00" + b"\0" * 60, "a Windows program"),
        (b"name,email\nAda,ada@example.test\n", "a text file"),
    ],
)
def test_a_non_image_renamed_png_is_refused_saying_what_it_looks_like(
    data: bytes, looks_like: str
) -> None:
    error = _rejected(data)
    assert error.code == "not_image"
    assert error.message.startswith(
        f"This file is not an image (it looks like {looks_like}"
    )


def test_the_pdf_message_reads_as_written_for_a_marketer() -> None:
    error = _rejected(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    assert error.message == "This file is not an image (it looks like a PDF)."


def test_an_image_in_another_format_is_refused_naming_it() -> None:
    error = _rejected(_image_bytes("BMP"))
    assert error.code == "unsupported_format"
    assert "BMP" in error.message and "JPEG, PNG, WebP or GIF" in error.message


@pytest.mark.parametrize(
    "size",
    [
        (8_000, 8_000),  # 64 Mpx: under Pillow's own limit, over ours
        (10_000, 10_000),  # 100 Mpx: Pillow only warns, which we treat as an error
        (100_000, 100_000),  # 10 Gpx: Pillow refuses at open
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header(size: tuple[int, int]) -> None:
    data = _png_declaring(*size)
    assert len(data) < 200
    error = _rejected(data)
    assert error.code == "too_many_pixels"
    assert "too many pixels" in error.message
    assert size[0] * size[1] > MAX_PIXELS


def test_the_pixel_limit_is_the_callers_to_lower() -> None:
    error = _rejected(_image_bytes("PNG", (200, 200)), max_pixels=10_000)
    assert error.code == "too_many_pixels"


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = _image_bytes("PNG", (300, 300))
    error = _rejected(data, max_bytes=len(data) - 1)
    assert error.code == "too_large"
    assert error.message.startswith("This file is larger than")
    assert inspect_upload(data, filename="a.png", max_bytes=len(data)).size == len(data)


def test_an_endless_stream_is_read_only_up_to_the_limit() -> None:
    stream = _Endless()
    error = _rejected(stream, max_bytes=MB)
    assert error.code == "too_large"
    assert "1 MB" in error.message
    assert stream.read_total == MB + 1


def test_a_declared_size_over_the_limit_is_refused_without_reading() -> None:
    stream = _Endless()
    stream.size = 50 * MB  # type: ignore[attr-defined]  # as Django's UploadedFile
    assert _rejected(stream, max_bytes=MB).code == "too_large"
    assert stream.read_total == 0


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_an_animation_is_refused_where_only_stills_are_allowed(fmt: str) -> None:
    data = _animated(fmt)
    error = _rejected(data)
    assert error.code == "animated"
    assert error.message.startswith("This image is animated")
    checked = inspect_upload(data, filename="a", max_bytes=MB, allow_animated=True)
    assert (checked.format, checked.animated, checked.frames) == (fmt, True, 3)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_a_truncated_file_is_refused(fmt: str) -> None:
    # Noise, so that the cut falls inside the compressed pixels.
    image = Image.effect_noise((400, 300), 80).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt)
    whole = out.getvalue()
    error = _rejected(whole[: len(whole) * 2 // 3])
    assert error.code == "truncated"
    assert "damaged or incomplete" in error.message


def test_an_empty_file_is_refused() -> None:
    assert _rejected(b"").code == "empty"
