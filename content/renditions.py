"""Per-channel renditions of one source image: exact sizes, subject kept, limits met.

Pure functions on bytes and Pillow images; no models, no storage. The media
library calls them and stores what they return.

    prepared = prepare(upload_bytes)              # decode + focus, once
    for network in account_networks:
        for r in render_for_network(prepared, network):
            store(r.format, r.content_type, r.data)

Contract of every `Rendition`:

- exactly the size in `FORMATS` (never padded, never stretched);
- cropped around the subject: a focus point is computed once per source on a
  downscaled copy (spectral-residual saliency plus local contrast, see
  `focus_point`) and each crop is the largest of the target aspect centred as close
  to it as the image bounds allow;
- sRGB without an embedded profile (an embedded ICC profile is applied first),
  EXIF orientation applied, and no metadata written out: no EXIF (GPS included),
  no XMP, no ICC, no text chunks;
- `bytes <= max_bytes` when a limit is given, reached by choosing the codec and
  the quality (`RenditionTooLarge` only when even the lowest quality we accept
  does not fit, which a 2-megapixel image never reaches at the limits below);
- upscaled by at most `MAX_UPSCALE`; a source too small for a format raises
  `SourceTooSmall` naming the format and the size it needs.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageCms

logger = logging.getLogger(__name__)

#: Output sizes (width, height) in pixels.
FORMATS: dict[str, tuple[int, int]] = {
    "square": (1080, 1080),
    "portrait": (1080, 1350),
    "landscape": (1200, 628),
    "story": (1080, 1920),
    "wide": (1920, 1080),
}

#: The most a source is enlarged to fill a format. 1.5x still looks acceptable in a
#: feed; beyond it the result is visibly soft, so we refuse instead of shipping it.
MAX_UPSCALE = 1.5

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"

#: JPEG/WebP quality we aim for, and the floor of the search that meets a limit.
TARGET_QUALITY = 85
MIN_QUALITY = 30
_QUALITY_STEP = 5

#: Long side, in pixels, of the copy the focus point is computed on.
_ANALYSIS_SIZE = 128

MB = 1024 * 1024


class RenditionError(Exception):
    """A rendition cannot be made; `message` is fit to show a marketer."""

    code = "rendition_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceTooSmall(RenditionError):
    code = "source_too_small"


class RenditionTooLarge(RenditionError):
    code = "too_large"


@dataclass(frozen=True)
class NetworkImageLimits:
    """What one network accepts for a feed image (CHANNELS.md, kept conservative).

    `formats` are the renditions made for the network, in order of preference.
    `instance_defined` means the limit is a default that the server states itself
    (Mastodon's `/api/v2/instance`): the caller's `max_bytes` replaces it. For the
    other networks a caller's `max_bytes` can only lower the limit.
    """

    max_bytes: int
    formats: tuple[str, ...]
    content_types: frozenset[str] = frozenset({JPEG, PNG})
    min_aspect: float | None = None
    max_aspect: float | None = None
    min_width: int | None = None
    max_width: int | None = None
    instance_defined: bool = False

    def allows(self, fmt: str) -> bool:
        """Whether the size of `fmt` is within this network's aspect and width."""
        width, height = FORMATS[fmt]
        aspect = width / height
        return (
            (self.min_aspect is None or aspect >= self.min_aspect)
            and (self.max_aspect is None or aspect <= self.max_aspect)
            and (self.min_width is None or width >= self.min_width)
            and (self.max_width is None or width <= self.max_width)
        )


def _instagram() -> NetworkImageLimits:
    # Feed images: 4:5 ... 1.91:1, 320-1440 px wide, JPEG only (Graph API).
    # landscape is 1200x628 = 1.9108:1, just over 1.91 (refused); story is 9:16,
    # wide is 1920 px wide: what is left is square and portrait, derived, not typed.
    rules = NetworkImageLimits(
        max_bytes=8 * MB,
        formats=(),
        content_types=frozenset({JPEG}),
        min_aspect=4 / 5,
        max_aspect=1.91,
        min_width=320,
        max_width=1440,
    )
    allowed = tuple(fmt for fmt in FORMATS if rules.allows(fmt))
    return NetworkImageLimits(**{**rules.__dict__, "formats": allowed})


#: Keyed by `channels.models.Network` values (plain strings, so this module does
#: not import Django models).
NETWORK_IMAGE_LIMITS: dict[str, NetworkImageLimits] = {
    # ≤ 1,000,000 bytes per image (the lexicon's maxSize), not 1 MiB.
    "bluesky": NetworkImageLimits(
        max_bytes=1_000_000, formats=("square", "portrait", "landscape")
    ),
    # Instagram: see _instagram().
    "instagram": _instagram(),
    # JPG/PNG/GIF/WEBP ≤ 5 MB (official).
    "x": NetworkImageLimits(
        max_bytes=5 * MB,
        formats=("landscape", "square", "wide"),
        content_types=frozenset({JPEG, PNG, WEBP}),
    ),
    # Instance-defined; 16 MB is Mastodon's default image_size_limit.
    "mastodon": NetworkImageLimits(
        max_bytes=16 * MB,
        formats=("landscape", "square", "wide"),
        content_types=frozenset({JPEG, PNG, WEBP}),
        instance_defined=True,
    ),
    # Generous in practice; kept at sizes that upload quickly.
    "linkedin": NetworkImageLimits(
        max_bytes=8 * MB, formats=("landscape", "square", "portrait")
    ),
    "facebook": NetworkImageLimits(
        max_bytes=8 * MB, formats=("landscape", "square", "portrait", "story")
    ),
    # Inline or hosted images in a newsletter: small, and no WebP (Outlook).
    "email": NetworkImageLimits(max_bytes=1_000_000, formats=("landscape", "wide")),
    # The receiver decides; hand over every format at a size any service takes.
    "webhook": NetworkImageLimits(max_bytes=5 * MB, formats=tuple(FORMATS)),
    # WordPress ≥ 5.8 serves WebP; 2 MB is the common upload_max_filesize.
    "wordpress": NetworkImageLimits(
        max_bytes=2 * MB,
        formats=("wide", "landscape"),
        content_types=frozenset({JPEG, PNG, WEBP}),
    ),
}


@dataclass(frozen=True)
class Rendition:
    """One encoded output image.

    `crop_box` is (left, top, right, bottom) in the pixels of the source after
    its EXIF orientation is applied; `quality` is the JPEG/WebP quality used
    (None for PNG); `bytes` is `len(data)`.
    """

    format: str
    width: int
    height: int
    content_type: str
    data: bytes = field(repr=False)
    quality: int | None
    crop_box: tuple[int, int, int, int]
    bytes: int = field(init=False)
    alt_text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bytes", len(self.data))


@dataclass(frozen=True)
class PreparedImage:
    """A source decoded once, ready for any number of renditions.

    `image` is oriented and possibly decoded at a reduced JPEG scale (`scale` is
    its size over the oriented source's); `focus` is in source pixels.
    """

    image: Image.Image
    source_size: tuple[int, int]
    scale: tuple[float, float]
    focus: tuple[float, float]
    transparent: bool
    graphic: bool
    to_srgb: ImageCms.ImageCmsTransform | None = field(default=None, repr=False)
    out_mode: str = "RGB"


# --------------------------------------------------------------------------- public


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
        need = max(_needed_scale((src_w, src_h), FORMATS[f]) for f in formats)
        if need < 1:
            want = (math.ceil(raw_w * need), math.ceil(raw_h * need))
            image.draft(None, want)

    icc = image.info.get("icc_profile")
    image.load()
    image = _normalise_mode(image)
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])

    transparent = image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255
    if image.mode == "RGBA" and not transparent:
        image = image.convert("RGB")
    to_srgb, out_mode = _srgb_transform(icc, image.mode)
    if image.mode == "CMYK" and to_srgb is None:
        image, out_mode = image.convert("RGB"), "RGB"

    small = _analysis_copy(image)
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
        if _needed_scale(prepared.source_size, FORMATS[f]) > MAX_UPSCALE
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
    """The renditions `network` uses (a `channels.models.Network` value).

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


def focus_point(image: Image.Image) -> tuple[float, float]:
    """Where the subject is, as (x, y) in `image`'s pixels.

    Saliency on a copy at most `_ANALYSIS_SIZE` pixels long: the spectral residual
    (Hou & Zhang, 2007: what the image's log spectrum has beyond its smooth
    average is what stands out) plus local contrast (texture and edges), blurred,
    with a mild centre prior. The point is the weighted centre of the salient
    region around the strongest peak, so one strong subject wins over scattered
    detail. A flat image gives its centre.
    """
    small = image if max(image.size) <= _ANALYSIS_SIZE else _analysis_copy(image)
    gray = np.asarray(small.convert("L"), dtype=np.float32) / 255.0
    h, w = gray.shape
    if h < 4 or w < 4 or float(gray.std()) < 1e-3:
        return (image.width / 2, image.height / 2)

    spectrum = np.fft.fft2(gray)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    residual = log_amp - _box_blur(log_amp, 1)
    spectral = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    contrast = np.abs(gray - _box_blur(gray, 2))
    radius = max(1, round(min(h, w) / 24))
    saliency = _normalised(_box_blur(spectral, radius)) + _normalised(
        _box_blur(contrast, radius)
    )
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    prior = np.exp(-(((xs / w - 0.5) ** 2) + ((ys / h - 0.5) ** 2)) / 0.5)
    saliency = _box_blur(saliency * (0.75 + 0.25 * prior), radius)

    peak_y, peak_x = np.unravel_index(int(np.argmax(saliency)), saliency.shape)
    window = (xs - peak_x) ** 2 + (ys - peak_y) ** 2 <= (max(h, w) / 4) ** 2
    top = float(saliency.max())
    weights = np.where(window & (saliency >= 0.6 * top), saliency, 0.0)
    total = float(weights.sum())
    cx = float((weights * (xs + 0.5)).sum()) / total
    cy = float((weights * (ys + 0.5)).sum()) / total
    return (cx * image.width / w, cy * image.height / h)


def crop_box_for(
    source_size: tuple[int, int], target: tuple[int, int], focus: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The largest box of `target`'s aspect in `source_size`, centred on `focus`
    as closely as the bounds allow (float edges: the aspect is exact)."""
    sw, sh = source_size
    tw, th = target
    if sw * th > sh * tw:  # source wider than the target: full height
        cw, ch = sh * tw / th, float(sh)
    else:
        cw, ch = float(sw), sw * th / tw
    left = min(max(focus[0] - cw / 2, 0.0), sw - cw)
    top = min(max(focus[1] - ch / 2, 0.0), sh - ch)
    return (left, top, left + cw, top + ch)


# --------------------------------------------------------------------------- inside

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


def _analysis_copy(image: Image.Image) -> Image.Image:
    factor = max(1, min(image.size) // (_ANALYSIS_SIZE * 2))
    small = image.reduce(factor) if factor > 1 else image.copy()
    small.thumbnail((_ANALYSIS_SIZE, _ANALYSIS_SIZE), Image.Resampling.BOX)
    if small.mode == "RGBA":  # judge content over white, as it will be seen
        white = Image.new("RGB", small.size, (255, 255, 255))
        white.paste(small, mask=small.getchannel("A"))
        return white
    return small.convert("RGB") if small.mode == "CMYK" else small


def _box_blur(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)² window, edges replicated (summed-area table)."""
    if radius < 1:
        return values
    k = 2 * radius + 1
    padded = np.pad(values, radius, mode="edge")
    table = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return (table[k:, k:] - table[:-k, k:] - table[k:, :-k] + table[:-k, :-k]) / (k * k)


def _normalised(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _needed_scale(source: tuple[int, int], target: tuple[int, int]) -> float:
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
        image = ImageCms.applyTransform(image, prepared.to_srgb)
        assert image is not None
    image.info.clear()  # resize copies info: EXIF, XMP, ICC must not travel
    if label:
        image = draw_label(image, label)
    content_type, data, quality = _encode(image, prepared, max_bytes, content_types)
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


def _encode(
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
