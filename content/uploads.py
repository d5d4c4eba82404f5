"""Checks an uploaded image by its content before anything keeps it.

    checked = inspect_upload(request.FILES["file"], filename=f.name,
                             max_bytes=20 * 1024 * 1024)
    # store checked.data as checked.content_type

`inspect_upload` reads at most `max_bytes + 1` bytes, identifies the file by its
content (never by its name or the browser's content type), refuses anything but a
JPEG, PNG, WebP or GIF that decodes completely, and raises `UploadRejected` with a
`code` for the program and a `message` for the marketer. It writes nothing: no
temporary file, no storage, no database.

Codes: `empty`, `too_large`, `not_image`, `unsupported_format`, `too_many_pixels`,
`animated`, `truncated`.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field
from typing import IO, Any

from PIL import Image, UnidentifiedImageError

#: Largest image we decode, in pixels (declared width x height, per frame). 40 Mpx
#: is above any phone camera's output and about 160 MB decoded as RGBA.
MAX_PIXELS = 40_000_000
#: Frames x pixels an animation may decode to (a 2-second 1080p clip is ~100 Mpx).
MAX_ANIMATION_PIXELS = 400_000_000

ALLOWED = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}

_CHUNK = 64 * 1024


class UploadRejected(Exception):
    """The upload is refused; `message` is shown to the person who uploaded it."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed: what it is, by content.

    `width` and `height` are as stored (before any EXIF rotation); `frames` is 1
    for a still. `data` holds the bytes read, so the caller stores exactly what was
    checked.
    """

    format: str
    content_type: str
    width: int
    height: int
    animated: bool
    frames: int
    size: int = 0
    data: bytes = field(default=b"", repr=False)


def inspect_upload(
    fileobj_or_bytes: bytes | IO[bytes] | Any,
    *,
    filename: str,
    max_bytes: int,
    allow_animated: bool = False,
    max_pixels: int = MAX_PIXELS,
) -> CheckedImage:
    """Check one upload; return what it is or raise `UploadRejected`.

    `fileobj_or_bytes` is bytes or anything with `read(n)` (a Django
    `UploadedFile`, an open file); it is read from its current position and put
    back there when it can seek. `filename` is used only in messages: a JPEG named
    `.png` is accepted as the JPEG it is.
    """
    data = _read_bounded(fileobj_or_bytes, max_bytes)
    if not data:
        raise UploadRejected("This file is empty.", "empty")

    with warnings.catch_warnings():
        # Pillow warns (rather than fails) between MAX_IMAGE_PIXELS and twice that.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data, filename=filename, max_pixels=max_pixels)
        fmt = image.format or ""
        if fmt not in ALLOWED:
            raise UploadRejected(
                f"This image is a {_FORMAT_NAMES.get(fmt, fmt or 'unknown')} file; "
                "please upload a JPEG, PNG, WebP or GIF.",
                "unsupported_format",
            )
        width, height = image.size
        # Declared dimensions, read from the header: refuse before decoding.
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        animated, frames = _decode_fully(
            image,
            data,
            filename=filename,
            max_pixels=max_pixels,
            allow_animated=allow_animated,
        )

    return CheckedImage(
        format=fmt,
        content_type=ALLOWED[fmt],
        width=width,
        height=height,
        animated=animated,
        frames=frames,
        size=len(data),
        data=data,
    )


def _open(data: bytes, *, filename: str, max_pixels: int) -> Image.Image:
    """The image's header, opened; `UploadRejected` when it is not an image, is
    a decompression bomb or is cut short."""
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise UploadRejected(
            f"This file is not an image (it looks like {_looks_like(data)}).",
            "not_image",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise _truncated(filename) from None


def _decode_fully(
    image: Image.Image,
    data: bytes,
    *,
    filename: str,
    max_pixels: int,
    allow_animated: bool,
) -> tuple[bool, int]:
    """Check the structure and decode every frame; `(animated, frames)`. Called
    with the decompression-bomb warning raised as an error."""
    try:
        animated = bool(getattr(image, "is_animated", False))
        if animated and not allow_animated:
            raise UploadRejected(
                "This image is animated; only still images can be used here. "
                "Please upload a JPEG or PNG.",
                "animated",
            )
        frames = int(getattr(image, "n_frames", 1)) if animated else 1
        width, height = image.size
        if frames * width * height > MAX_ANIMATION_PIXELS:
            raise _too_many_pixels(max_pixels)
        # verify() checks the structure (PNG CRCs) but does not decode; it
        # leaves the image unusable, so decode from a fresh open afterwards.
        image.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
        if animated:
            for index in range(1, frames):
                image.seek(index)
                image.load()
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise _truncated(filename) from None
    return animated, frames


def _read_bounded(source: bytes | Any, max_bytes: int) -> bytes:
    """At most `max_bytes` bytes, or `too_large` as soon as one more arrives."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_bytes:
            raise _too_large(max_bytes)
        return data
    declared = getattr(source, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _too_large(max_bytes)
    start = source.tell() if _seekable(source) else None
    buffer = bytearray()
    try:
        while True:
            chunk = source.read(min(_CHUNK, max_bytes + 1 - len(buffer)))
            if not chunk:
                break
            buffer += chunk
            if len(buffer) > max_bytes:
                raise _too_large(max_bytes)
    finally:
        if start is not None:
            source.seek(start)
    return bytes(buffer)


def _seekable(source: Any) -> bool:
    try:
        return bool(source.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _too_large(max_bytes: int) -> UploadRejected:
    return UploadRejected(
        f"This file is larger than {_size(max_bytes)}, the most we accept. "
        "Please upload a smaller version.",
        "too_large",
    )


def _too_many_pixels(max_pixels: int) -> UploadRejected:
    return UploadRejected(
        f"This image has too many pixels (the most we accept is "
        f"{max_pixels / 1_000_000:g} megapixels). Please upload a smaller version.",
        "too_many_pixels",
    )


def _truncated(filename: str) -> UploadRejected:
    return UploadRejected(
        "This image is damaged or incomplete (the upload may have been cut off). "
        "Please export it again and upload the new file.",
        "truncated",
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


_FORMAT_NAMES = {
    "BMP": "BMP",
    "TIFF": "TIFF",
    "ICO": "Windows icon",
    "PSD": "Photoshop",
    "JPEG2000": "JPEG 2000",
    "PPM": "PPM",
    "TGA": "TGA",
    "PCX": "PCX",
    "EPS": "PostScript",
    "DDS": "DDS",
}

# (offset, magic, what it looks like): checked in order on a non-image.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF", "a PDF"),
    (0, b"PK\x03\x04", "a ZIP archive or an Office document"),
    (0, b"\xd0\xcf\x11\xe0", "an old Office document"),
    (0, b"Rar!", "a RAR archive"),
    (0, b"\x1f\x8b", "a compressed archive"),
    (0, b"7z\xbc\xaf", "a 7-Zip archive"),
    (0, b"MZ", "a Windows program"),
    (0, b"\x7fELF", "a program"),
    (4, b"ftypheic", "an HEIC photo; please export it as JPEG"),
    (4, b"ftypheix", "an HEIC photo; please export it as JPEG"),
    (4, b"ftypmif1", "an HEIC photo; please export it as JPEG"),
    (4, b"ftypavif", "an AVIF image; please export it as JPEG or PNG"),
    (4, b"ftyp", "a video"),
    (0, b"\x1a\x45\xdf\xa3", "a video"),
    (0, b"ID3", "an audio file"),
)


def _looks_like(data: bytes) -> str:
    for offset, magic, name in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return name
    head = data[:512].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in data[:4096]):
        return "an SVG drawing; please export it as PNG"
    if head.startswith((b"<!doctype html", b"<html")):
        return "a web page"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "a file of another kind"
    return "a text file"
