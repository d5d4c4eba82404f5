"""Per-channel renditions of one source image: exact sizes, subject kept, limits met.

Pure functions on bytes and Pillow images; no models, no storage. The media
library calls them and stores what they return. `formats` holds the sizes and
the networks' limits, `rendering` decodes and cuts, `focus` finds the subject,
`encoding` meets the byte limit.

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

from content.renditions.encoding import MIN_QUALITY, TARGET_QUALITY, draw_label
from content.renditions.focus import crop_box_for, focus_point
from content.renditions.formats import (
    FORMATS,
    JPEG,
    MAX_UPSCALE,
    MB,
    NETWORK_IMAGE_LIMITS,
    PNG,
    WEBP,
    NetworkImageLimits,
    PreparedImage,
    Rendition,
    RenditionError,
    RenditionTooLarge,
    SourceTooSmall,
)
from content.renditions.rendering import (
    needed_scale,
    prepare,
    render,
    render_for_network,
)

__all__ = [
    "FORMATS",
    "JPEG",
    "MAX_UPSCALE",
    "MB",
    "MIN_QUALITY",
    "NETWORK_IMAGE_LIMITS",
    "PNG",
    "TARGET_QUALITY",
    "WEBP",
    "NetworkImageLimits",
    "PreparedImage",
    "Rendition",
    "RenditionError",
    "RenditionTooLarge",
    "SourceTooSmall",
    "crop_box_for",
    "draw_label",
    "focus_point",
    "needed_scale",
    "prepare",
    "render",
    "render_for_network",
]
