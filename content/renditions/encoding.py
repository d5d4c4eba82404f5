"""Encoding a rendition: the codec and the quality that meet a byte limit, and
the disclosure label drawn before it."""

from __future__ import annotations

import io

from PIL import Image

from content.renditions.formats import JPEG, PNG, WEBP, PreparedImage, RenditionTooLarge

#: JPEG/WebP quality we aim for, and the floor of the search that meets a limit.
TARGET_QUALITY = 85
MIN_QUALITY = 30
_QUALITY_STEP = 5


def draw_label(image: Image.Image, text: str) -> Image.Image:
    """`text` in white on a dark, mostly opaque badge in the bottom-right corner:
    readable on any picture (white on 80 % black is above 4.5:1 whatever lies
    under it), about 2.2 % of the short side high, never under 12 px."""
    from PIL import ImageDraw, ImageFont

    from content.image_providers.template_card import FONT_PATH

    short = min(image.size)
    size = max(12, round(short * 0.022))
    font = ImageFont.truetype(str(FONT_PATH), size)
    pad = max(4, size // 2)
    left, top, right, bottom = font.getbbox(text)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    x, y = image.width - w - pad, image.height - h - pad
    base = image.convert("RGBA")
    badge = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(badge)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=pad, fill=(0, 0, 0, 204))
    draw.text((x + pad - left, y + pad - top), text, font=font, fill="white")
    out = Image.alpha_composite(base, badge)
    return out if image.mode == "RGBA" else out.convert(image.mode)


def _save(image: Image.Image, content_type: str, quality: int | None) -> bytes:
    out = io.BytesIO()
    if content_type == JPEG:
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif content_type == WEBP:
        image.save(out, "WEBP", quality=quality, method=4)
    else:
        image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _fits(data: bytes, max_bytes: int | None) -> bool:
    return max_bytes is None or len(data) <= max_bytes


def encode(
    image: Image.Image,
    prepared: PreparedImage,
    max_bytes: int | None,
    content_types: frozenset[str],
) -> tuple[str, bytes, int | None]:
    """Choose the codec and quality: PNG for transparency or flat graphics when it
    fits, else JPEG at `TARGET_QUALITY`, WebP at that quality when JPEG is too big
    and the network takes WebP, else the best JPEG quality that fits."""
    if prepared.transparent:
        if PNG in content_types:
            data = _save(image, PNG, None)
            if _fits(data, max_bytes):
                return PNG, data, None
        if WEBP in content_types:
            found = _search(image, WEBP, max_bytes)
            if found:
                return found
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    elif prepared.graphic and PNG in content_types:
        data = _save(image.quantize(256), PNG, None)
        if _fits(data, max_bytes):
            return PNG, data, None

    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    data = _save(image, JPEG, TARGET_QUALITY)
    if _fits(data, max_bytes):
        return JPEG, data, TARGET_QUALITY
    if WEBP in content_types:
        webp = _save(image, WEBP, TARGET_QUALITY)
        if _fits(webp, max_bytes):
            return WEBP, webp, TARGET_QUALITY
    found = _search(image, JPEG, max_bytes, below=TARGET_QUALITY)
    if found:
        return found
    raise RenditionTooLarge(
        f"This image cannot be made smaller than {max_bytes:,} bytes at an "
        f"acceptable quality. Try a simpler or smaller image."
    )


def _search(
    image: Image.Image,
    content_type: str,
    max_bytes: int | None,
    *,
    below: int = TARGET_QUALITY + _QUALITY_STEP,
) -> tuple[str, bytes, int] | None:
    """The highest quality on a 5-step grid under `below` that fits (binary
    search: at most 4 encodes over 30..80)."""
    grid = list(range(MIN_QUALITY, below, _QUALITY_STEP))
    best: tuple[str, bytes, int] | None = None
    lo, hi = 0, len(grid) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        data = _save(image, content_type, grid[mid])
        if _fits(data, max_bytes):
            best = (content_type, data, grid[mid])
            lo = mid + 1
        else:
            hi = mid - 1
    return best
