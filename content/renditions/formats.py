"""The sizes we render, each network's image limits, and the values that
describe a rendition; no image work here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PIL import Image, ImageCms

from networks import registry
from networks.profile import ImageLimits

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
    """What one network accepts for a feed image (its declared `ImageLimits`).

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


def _limits(declared: ImageLimits) -> NetworkImageLimits:
    """A network's declared limits; formats left undeclared are derived: every
    size within its aspect and width bounds, in FORMATS' order."""
    rules = NetworkImageLimits(
        max_bytes=declared.max_bytes,
        formats=declared.formats or (),
        content_types=declared.content_types,
        min_aspect=declared.min_aspect,
        max_aspect=declared.max_aspect,
        min_width=declared.min_width,
        max_width=declared.max_width,
        instance_defined=declared.instance_defined,
    )
    if declared.formats is not None:
        return rules
    return replace(rules, formats=tuple(fmt for fmt in FORMATS if rules.allows(fmt)))


#: Keyed by network (plain strings, so this module does not import Django
#: models); each network's profile declares its own (`networks.<key>.profile`).
NETWORK_IMAGE_LIMITS: dict[str, NetworkImageLimits] = {
    key: _limits(profile.image_limits)
    for key, profile in registry.profiles().items()
    if profile.image_limits is not None
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
