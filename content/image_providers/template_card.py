"""The branded template card: Pillow, offline, deterministic, the demo default.

A card in the brand's main colour with its logo top left, an accent band in
its second colour, and the headline set in the bundled DejaVu Sans Bold: the
largest size at which the wrapped headline fits its box, centred vertically, in
a colour with a WCAG contrast ratio of at least 4.5:1 against the background (a
brand colour when one qualifies, else white or black, one of which always
does). No model is involved, and the UI says so.

The seed picks one of `LAYOUTS` (where the band goes: bottom, top or down the
left side; the headline left-aligned or centred; seed None is the first), so
asking for several cards gives different ones, each reproducible from its
recorded seed. A brand with one colour gets its accent band in a shade of it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.images import (
    BrandStyle,
    GeneratedImage,
    ImageRequest,
    Progress,
    parse_hex,
)

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

logger = logging.getLogger(__name__)

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans-Bold.ttf"
DISPLAY_NAME = "Branded template card (no AI)"
DEFAULT_BACKGROUND = (31, 41, 55)  # slate, for a brand without colours
MIN_CONTRAST = 4.5  # WCAG 2.x AA for normal text
MIN_FONT_SIZE = 10
LINE_SPACING = 1.18
# (where the accent band goes, how the headline is aligned)
LAYOUTS: tuple[tuple[str, str], ...] = (
    ("bottom", "left"),
    ("top", "left"),
    ("side", "left"),
    ("bottom", "centre"),
)

RGB = tuple[int, int, int]


def _hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def shade(rgb: RGB) -> RGB:
    """An accent for a one-colour brand: its colour a third of the way to white
    (dark colours) or to black (light ones)."""
    target = 255 if relative_luminance(rgb) < 0.4 else 0
    r, g, b = (round(c + (target - c) / 3) for c in rgb)
    return (r, g, b)


def text_colour(background: RGB, palette: list[RGB]) -> RGB:
    """The first palette colour readable on `background`, else white or black."""
    for colour in palette:
        if colour != background and contrast_ratio(colour, background) >= MIN_CONTRAST:
            return colour
    white, black = (255, 255, 255), (0, 0, 0)
    if contrast_ratio(white, background) >= contrast_ratio(black, background):
        return white
    return black


def wrap(text: str, font: FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to `width` pixels; a word too long alone is broken."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.getlength(word) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and font.getlength(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class Layout:
    font_size: int
    lines: tuple[str, ...]
    line_height: int
    box: tuple[int, int, int, int]  # left, top, right, bottom


def fit_text(
    text: str, box_width: int, box_height: int, *, start: int
) -> tuple[FreeTypeFont, list[str], int]:
    """The largest font size (from `start` down) at which `text` fits the box."""
    from PIL import ImageFont

    size = max(MIN_FONT_SIZE, start)
    while True:
        font = ImageFont.truetype(str(FONT_PATH), size)
        lines = wrap(text, font, box_width)
        line_height = round(size * LINE_SPACING)
        if len(lines) * line_height <= box_height or size <= MIN_FONT_SIZE:
            break
        size = max(MIN_FONT_SIZE, int(size * 0.92))
    max_lines = max(1, box_height // line_height)
    if len(lines) > max_lines:  # even the smallest size overflows: cut, say so
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + "…") > box_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return font, lines, line_height


class TemplateCardProvider:
    """Draws a branded card; `generate` needs no network, GPU or model."""

    name = "template"
    model = "template-card-1"
    display_name = DISPLAY_NAME

    def generate(
        self, request: ImageRequest, *, progress: Progress | None = None
    ) -> GeneratedImage:
        from PIL import Image, ImageDraw

        started = time.monotonic()
        width = request.width or 1080
        height = request.height or 1080
        style = request.style
        palette, background, accent = _colours(style)
        band_at, align = LAYOUTS[(request.seed or 0) % len(LAYOUTS)]
        image = Image.new("RGB", (width, height), background)
        draw = ImageDraw.Draw(image)
        short = min(width, height)
        margin = max(4, round(short * 0.07))

        left, top, bottom = _draw_band(draw, band_at, accent, margin, (width, height))

        logo_box = None
        if style and style.logo_path:
            logo_box = self._paste_logo(image, Path(style.logo_path), left, top)
            if logo_box:
                top = logo_box[3] + margin // 2

        headline = (request.headline or (style.name if style else "")).strip()
        colour = text_colour(background, palette[1:])
        layout = None
        if headline:
            area = (left, top, width - margin, bottom)
            start = max(MIN_FONT_SIZE, round(short / 7))
            layout = _draw_headline(draw, headline, area, align, colour, start)
        if progress is not None:
            progress(1, 1)
        extra: dict[str, Any] = {
            "display_name": DISPLAY_NAME,
            "background": _hex(background),
            "text_colour": _hex(colour),
            "contrast": round(contrast_ratio(colour, background), 2),
            "logo_box": logo_box,
            "layout": f"band-{band_at}-{align}",
            "accent": _hex(accent),
            **_layout_extra(layout),
        }
        return GeneratedImage(
            image=image,
            provider=self.name,
            model=self.model,
            final_prompt=headline,
            negative_prompt="",
            seed=request.seed,
            steps=0,
            guidance=0.0,
            width=width,
            height=height,
            device="cpu",
            dtype="",
            seconds=time.monotonic() - started,
            extra=extra,
        )

    @staticmethod
    def _paste_logo(
        image: Any, path: Path, left: int, top: int
    ) -> tuple[int, int, int, int] | None:
        """The logo scaled into the top-left box; its (l, t, r, b), or None."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as source:
                logo = source.convert("RGBA")
        except (OSError, UnidentifiedImageError):
            logger.warning("images: logo %s unreadable; card made without it", path)
            return None
        max_w, max_h = round(image.width * 0.3), round(image.height * 0.16)
        scale = min(max_w / logo.width, max_h / logo.height)
        size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
        logo = logo.resize(size, Image.Resampling.LANCZOS)
        image.paste(logo, (left, top), logo)
        return (left, top, left + size[0], top + size[1])


def _draw_band(
    draw: Any, band_at: str, accent: RGB, margin: int, size: tuple[int, int]
) -> tuple[int, int, int]:
    """The accent band along one edge; the text area's left, top and bottom."""
    width, height = size
    left, top, bottom = margin, margin, height - margin
    if band_at == "bottom":
        band = max(3, round(height * 0.035))
        draw.rectangle((0, height - band, width, height), fill=accent)
        bottom = height - band - margin // 2
    elif band_at == "top":
        band = max(3, round(height * 0.035))
        draw.rectangle((0, 0, width, band), fill=accent)
        top = band + margin // 2
    else:  # a band down the left side
        band = max(3, round(width * 0.035))
        draw.rectangle((0, 0, band, height), fill=accent)
        left = band + margin
    return left, top, bottom


def _layout_extra(layout: Layout | None) -> dict[str, Any]:
    if layout is None:
        return {}
    return {
        "font_size": layout.font_size,
        "lines": list(layout.lines),
        "text_box": layout.box,
        "line_height": layout.line_height,
    }


def _draw_headline(
    draw: Any,
    headline: str,
    area: tuple[int, int, int, int],
    align: str,
    colour: RGB,
    start: int,
) -> Layout:
    """The headline in the largest font from `start` down that fits `area`,
    centred vertically, left-aligned or centred."""
    left, top, right, bottom = area
    box_w, box_h = right - left, max(1, bottom - top)
    font, lines, line_height = fit_text(headline, box_w, box_h, start=start)
    y = top + (box_h - line_height * len(lines)) // 2
    for line in lines:
        x = left
        if align == "centre":
            x = left + round((box_w - font.getlength(line)) / 2)
        draw.text((x, y), line, font=font, fill=colour)
        y += line_height
    # Pillow types a font's size as float; fit_text builds it from an int.
    return Layout(int(font.size), tuple(lines), line_height, area)


def _colours(style: BrandStyle | None) -> tuple[list[RGB], RGB, RGB]:
    """The brand's palette, the background (its first colour) and the accent
    (its second, else a shade of the background)."""
    palette = [rgb for c in (style.colours if style else ()) if (rgb := parse_hex(c))]
    background = palette[0] if palette else DEFAULT_BACKGROUND
    accent = palette[1] if len(palette) > 1 else shade(background)
    return palette, background, accent
