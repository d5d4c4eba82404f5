"""Image providers: one protocol, three implementations, chosen by settings.

- `template` (default, offline): a branded card drawn with Pillow, the brand's
  colours, logo and headline in a bundled font. Named as what it is in the UI:
  "Branded template card (no AI)".
- `diffusers`: a text-to-image diffusion pipeline (`IMAGE_MODEL`, a hub id or a
  local folder) on the best device present; runs on the `images` Celery queue.
- `openai`: an OpenAI-compatible `images.generate` endpoint, for users without
  a GPU.

The shapes are plain dataclasses with no Django, so the benchmark and the
providers use them without a database. torch and diffusers are imported only
inside the functions that need them: importing this module (the web app, the
copy and publishing workers) must not load them.

Every failure reaching a caller is an `ImageError`; `permanent` says whether a
retry can help (a remote 429 or 5xx, already retried by the one policy of
OpenAI-protocol calls in `content.openai_calls`, is not permanent; a refused
prompt or a missing model is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL.Image import Image

PROVIDERS = ("template", "diffusers", "openai")

# Said to every diffusion model: generated lettering is gibberish and a fake
# logo is worse than none (the template card or the renditions add the real one).
BASE_NEGATIVE = (
    "text",
    "letters",
    "watermark",
    "logo",
    "signature",
    "blurry",
    "low quality",
    "deformed",
)
BASE_SUBJECT_RULES = ("no text or lettering in the image",)


@dataclass(frozen=True)
class BrandStyle:
    """How a brand looks, as the image providers need it.

    `colours` are "#rrggbb" strings, the first the main one; `logo_path` a local
    file (PNG with transparency works best); `mood_words` go into every prompt
    ("warm", "minimal"); `dont_words` into the negative prompt; `subject_rules`
    are sentences about what an image may show ("people only from behind").
    """

    name: str
    colours: tuple[str, ...] = ()
    logo_path: str | Path | None = None
    mood_words: tuple[str, ...] = ()
    dont_words: tuple[str, ...] = ()
    subject_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageRequest:
    """One image to make.

    `width`/`height` 0 mean the model's native size (512 for SD 1.5 and the
    Turbos, 1024 for SDXL and FLUX). `steps`/`guidance` None mean the model
    family's defaults. `seed` None draws one; it is recorded in the result.
    `headline` is drawn by the template card; diffusion models never draw text.
    """

    prompt: str
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    style: BrandStyle | None = None
    headline: str = ""


@dataclass(frozen=True)
class GeneratedImage:
    """An image and everything needed to say how it was made (and remake it)."""

    image: Image
    provider: str
    model: str
    final_prompt: str
    negative_prompt: str
    seed: int | None
    steps: int
    guidance: float
    width: int
    height: int
    device: str  # "cuda", "mps", "cpu", "remote"
    dtype: str  # "float16", "float32", "" (no model)
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. revised_prompt

    @property
    def ai_generated(self) -> bool:
        """Whether a model made the picture (the disclosure policy applies)."""
        return self.provider != "template"


class ImageError(Exception):
    """A provider failure, said so that a person can act on it."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str = "image_error",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after


Progress = Callable[[int, int], None]  # (step done, total steps)


@runtime_checkable
class ImageProvider(Protocol):
    name: str
    model: str

    def generate(
        self, request: ImageRequest, *, progress: Progress | None = None
    ) -> GeneratedImage: ...


# -- registry -------------------------------------------------------------


def get_image_provider(
    name: str | None = None, model: str | None = None
) -> ImageProvider:
    """The provider `name` (default `IMAGE_PROVIDER`), with `model` if given.

    For `diffusers`, `model` is a hub id or a folder (default `IMAGE_MODEL`);
    for `openai`, the remote model (default `IMAGE_REMOTE_MODEL`).
    """
    from django.conf import settings

    name = name or settings.IMAGE_PROVIDER
    if name == "template":
        from content.image_providers.template_card import TemplateCardProvider

        return TemplateCardProvider()
    if name == "diffusers":
        from content.image_providers.diffusion import DiffusionProvider

        return DiffusionProvider.from_settings(model=model)
    if name == "openai":
        from content.image_providers.remote import RemoteImageProvider

        return RemoteImageProvider.from_settings(model=model)
    raise ImageError(
        f"Unknown image provider {name!r}: use one of {', '.join(PROVIDERS)}.",
        permanent=True,
        code="unknown_provider",
    )


# -- brand style ------------------------------------------------------------


def brand_style_from(brand: Any) -> BrandStyle:
    """A `BrandStyle` from a `campaigns.models.BrandProfile` (tone as mood words).

    The logo is used only when its file is on local storage (a path exists).
    """
    logo_path = None
    logo = getattr(brand, "logo", None)
    if logo is not None and getattr(logo, "file", None):
        try:
            logo_path = logo.file.path
        except (NotImplementedError, ValueError):  # remote storage: no local path
            logo_path = None
    return BrandStyle(
        name=brand.name,
        colours=tuple(c for c in (brand.colours or ()) if parse_hex(c) is not None),
        logo_path=logo_path,
        mood_words=tuple(brand.tone or ()),
        dont_words=tuple(brand.dont_words or ()),
    )


# A few named colours: diffusion models follow "deep teal" far better than
# "#0f766e". Nearest by squared RGB distance; good enough for a mood, not a spec.
_COLOUR_NAMES: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "charcoal": (54, 69, 79),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "white": (255, 255, 255),
    "cream": (255, 250, 220),
    "beige": (225, 205, 170),
    "brown": (120, 72, 40),
    "maroon": (128, 0, 0),
    "red": (220, 30, 40),
    "coral": (255, 127, 80),
    "orange": (245, 140, 20),
    "gold": (218, 165, 32),
    "yellow": (250, 220, 40),
    "olive": (128, 128, 0),
    "green": (40, 160, 60),
    "forest green": (34, 90, 34),
    "mint": (170, 240, 200),
    "teal": (0, 128, 128),
    "turquoise": (64, 224, 208),
    "sky blue": (135, 206, 235),
    "blue": (30, 80, 220),
    "navy": (0, 0, 110),
    "purple": (120, 40, 160),
    "lavender": (200, 180, 240),
    "pink": (245, 150, 190),
    "magenta": (220, 0, 140),
}


def parse_hex(value: str) -> tuple[int, int, int] | None:
    """(r, g, b) from "#rrggbb" or "#rgb"; None when it is not one."""
    text = str(value).strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        return None
    try:
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    except ValueError:
        return None


def colour_name(rgb: tuple[int, int, int]) -> str:
    return min(
        _COLOUR_NAMES,
        key=lambda n: sum(
            (a - b) ** 2 for a, b in zip(_COLOUR_NAMES[n], rgb, strict=True)
        ),
    )


def _unique(words: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for word in words:
        w = word.strip()
        if w and w.lower() not in seen:
            seen.add(w.lower())
            out.append(w)
    return out


def style_prompt(
    prompt: str, style: BrandStyle | None, negative_prompt: str = ""
) -> tuple[str, str]:
    """The final prompt and negative prompt for a diffusion model or image API.

    The brand's mood words and palette (as colour names) and the subject rules
    are appended to the prompt; the negative prompt is the caller's, the
    brand's don'ts and `BASE_NEGATIVE`, without duplicates. The same inputs
    always give the same strings (they are stored with the asset).
    """
    parts = [prompt.strip().rstrip(".")]
    rules = list(BASE_SUBJECT_RULES)
    negatives = negative_prompt.split(",")
    if style is not None:
        if style.mood_words:
            parts.append("mood: " + ", ".join(_unique(style.mood_words)))
        names = _unique(
            [colour_name(rgb) for c in style.colours if (rgb := parse_hex(c))]
        )
        if names:
            parts.append("colour palette: " + ", ".join(names))
        rules = [*style.subject_rules, *rules]
        negatives.extend(style.dont_words)
    parts.append("; ".join(_unique(rules)))
    negatives.extend(BASE_NEGATIVE)
    final = ". ".join(p for p in parts if p) + "."
    return final, ", ".join(_unique(negatives))
