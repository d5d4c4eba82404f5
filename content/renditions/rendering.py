"""Decoding a source once and cutting it into renditions (the contract is in
`content.renditions`)."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Collection, Sequence

from PIL import Image, ImageCms

from content.renditions.encoding import draw_label, encode
from content.renditions.focus import analysis_copy, crop_box_for, focus_point
from content.renditions.formats import (
    FORMATS,
    JPEG,
    MAX_UPSCALE,
    NETWORK_IMAGE_LIMITS,
    PNG,
    PreparedImage,
    Rendition,
    SourceTooSmall,
)

# The name it had as one module, so log filters keep matching.
logger = logging.getLogger("content.renditions")


def prepare(
    source: bytes | Image.Image | PreparedImage,
    *,
    formats: Sequence[str] = tuple(FORMATS),
) -> PreparedImage:
    """Decode `source` once: orientation, colour transform, focus point.

    `formats` only tells how small a JPEG may be decoded (draft mode); the result
    serves any format whose size needs no more pixels than those.
    """
    if isinstance(source, PreparedImage):
        return source
    image = Image.open(io.BytesIO(source)) if isinstance(source, bytes) else source
    orientation = _orientation(image)
    raw_w, raw_h = image.size
    swapped = orientation in (5, 6, 7, 8)
    src_w, src_h = (raw_h, raw_w) if swapped else (raw_w, raw_h)

    # Draft: a JPEG decodes at 1/2, 1/4 or 1/8 through its DCT, far cheaper than
    # decoding everything and throwing most of it away in the resize.
    if image.format == "JPEG" and isinstance(source, bytes):
        need = max(needed_scale((src_w, src_h), FORMATS[f]) for f in formats)
        if need < 1:
            want = (math.ceil(raw_w * need), math.ceil(raw_h * need))
            image.draft(None, want)

    icc = image.info.get("icc_profile")
    image.load()
    image = _normalise_mode(image)
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])

    transparent = image.mode == "RGBA" and _lowest_alpha(image) < 255
    if image.mode == "RGBA" and not transparent:
        image = image.convert("RGB")
    to_srgb, out_mode = _srgb_transform(icc, image.mode)
    if image.mode == "CMYK" and to_srgb is None:
        image, out_mode = image.convert("RGB"), "RGB"

    small = analysis_copy(image)
    graphic = not transparent and small.convert("RGB").getcolors(256) is not None
    fx, fy = focus_point(small)
    scale = (image.width / src_w, image.height / src_h)
    focus = (fx * src_w / small.width, fy * src_h / small.height)
    return PreparedImage(
        image=image,
        source_size=(src_w, src_h),
        scale=scale,
        focus=focus,
        transparent=transparent,
        graphic=graphic,
        to_srgb=to_srgb,
        out_mode=out_mode,
    )


def render(
    source: bytes | Image.Image | PreparedImage,
    *,
    formats: Sequence[str] = tuple(FORMATS),
    max_bytes: int | None = None,
    alt_text: str = "",
    content_types: Collection[str] = (JPEG, PNG),
    label: str = "",
) -> list[Rendition]:
    """Renditions of `source` in `formats` (names of `FORMATS`), in that order.

    `label`: a visible disclosure (e.g. "AI-generated") drawn in the bottom-right
    corner of each rendition, for brands whose policy asks for one on images.

    `max_bytes` bounds every output; `content_types` are the codecs the caller
    accepts (JPEG is always used as the last resort for opaque images, and must be
    among them unless every image is small enough as PNG). Raises
    `SourceTooSmall`, `RenditionTooLarge`, or `KeyError` for an unknown format.
    """
    for fmt in formats:
        FORMATS[fmt]  # unknown names fail before any work
    prepared = prepare(source, formats=formats)
    too_small = [
        f
        for f in formats
        if needed_scale(prepared.source_size, FORMATS[f]) > MAX_UPSCALE
    ]
    if too_small:
        fmt = too_small[0]
        w, h = FORMATS[fmt]
        raise SourceTooSmall(
            f"This image is too small for the {fmt} format ({w}x{h}): it needs at "
            f"least {math.ceil(w / MAX_UPSCALE)}x{math.ceil(h / MAX_UPSCALE)} pixels."
        )
    return [
        _render_one(prepared, fmt, max_bytes, alt_text, frozenset(content_types), label)
        for fmt in formats
    ]


def render_for_network(
    source: bytes | Image.Image | PreparedImage,
    network: str,
    *,
    max_bytes: int | None = None,
    alt_text: str = "",
) -> list[Rendition]:
    """The renditions `network` uses (a `publishing.models.Network` value).

    `max_bytes` replaces the limit of an instance-defined network (Mastodon: the
    instance's `image_size_limit`) and can only lower the others'.
    """
    limits = NETWORK_IMAGE_LIMITS[network]
    limit = limits.max_bytes
    if max_bytes is not None:
        limit = max_bytes if limits.instance_defined else min(limit, max_bytes)
    return render(
        source,
        formats=limits.formats,
        max_bytes=limit,
        alt_text=alt_text,
        content_types=limits.content_types,
    )


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a malformed EXIF block must not stop a rendition
        logger.warning("renditions: unreadable EXIF, orientation ignored")
        return 1
    return value if isinstance(value, int) else 1


def _lowest_alpha(image: Image.Image) -> float:
    """The smallest alpha value of an RGBA image (255: fully opaque)."""
    low = image.getchannel("A").getextrema()[0]
    assert not isinstance(low, tuple)  # one band: (min, max), not one per band
    return low


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGB, RGBA, L or CMYK (CMYK only to be colour-managed from its profile)."""
    if image.mode in ("RGB", "RGBA", "L", "CMYK"):
        return image
    if image.mode in ("LA", "PA") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image.convert("RGB")


def _srgb_transform(
    icc: bytes | None, mode: str
) -> tuple[ImageCms.ImageCmsTransform | None, str]:
    out_mode = "RGBA" if mode == "RGBA" else "RGB"
    if not icc:
        return None, "L" if mode == "L" else out_mode
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if ImageCms.getProfileDescription(profile).strip().lower().startswith("srgb"):
            return None, "L" if mode == "L" else out_mode
        transform = ImageCms.buildTransform(
            profile,
            _SRGB,
            mode,
            out_mode,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        logger.warning("renditions: unusable ICC profile, treated as sRGB")
        return None, "L" if mode == "L" else out_mode
    return transform, out_mode


def needed_scale(source: tuple[int, int], target: tuple[int, int]) -> float:
    """Target pixels per source pixel when the largest crop fills the target."""
    sw, sh = source
    tw, th = target
    return max(tw / sw, th / sh)


def _render_one(
    prepared: PreparedImage,
    fmt: str,
    max_bytes: int | None,
    alt_text: str,
    content_types: frozenset[str],
    label: str = "",
) -> Rendition:
    target = FORMATS[fmt]
    box = crop_box_for(prepared.source_size, target, prepared.focus)
    sx, sy = prepared.scale
    image = prepared.image.resize(
        target,
        Image.Resampling.LANCZOS,
        box=(box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy),
        reducing_gap=3.0,
    )
    if prepared.to_srgb is not None:
        converted = ImageCms.applyTransform(image, prepared.to_srgb)
        assert converted is not None  # not in place: always a new image
        image = converted
    image.info.clear()  # resize copies info: EXIF, XMP, ICC must not travel
    if label:
        image = draw_label(image, label)
    content_type, data, quality = encode(image, prepared, max_bytes, content_types)
    return Rendition(
        format=fmt,
        width=target[0],
        height=target[1],
        content_type=content_type,
        data=data,
        quality=quality,
        crop_box=(round(box[0]), round(box[1]), round(box[2]), round(box[3])),
        alt_text=alt_text,
    )
