"""The sizes we render, each network's image limits, and the values that
describe a rendition; no image work here."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageCms

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


#: Keyed by `publishing.models.Network` values (plain strings, so this module does
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
