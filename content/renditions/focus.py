"""Where the subject of an image is, and the crop that keeps it."""

from __future__ import annotations

import numpy as np
from PIL import Image

#: Long side, in pixels, of the copy the focus point is computed on.
_ANALYSIS_SIZE = 128


def focus_point(image: Image.Image) -> tuple[float, float]:
    """Where the subject is, as (x, y) in `image`'s pixels.

    Saliency on a copy at most `_ANALYSIS_SIZE` pixels long: the spectral residual
    (Hou & Zhang, 2007: what the image's log spectrum has beyond its smooth
    average is what stands out) plus local contrast (texture and edges), blurred,
    with a mild centre prior. The point is the weighted centre of the salient
    region around the strongest peak, so one strong subject wins over scattered
    detail. A flat image gives its centre.
    """
    small = image if max(image.size) <= _ANALYSIS_SIZE else analysis_copy(image)
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


def analysis_copy(image: Image.Image) -> Image.Image:
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
