"""How much image work one workspace may ask for per minute.

Why: an upload is cheap to send and expensive to serve. A few kilobytes of
PNG can declare 38 megapixels (just under `content.uploads.MAX_PIXELS`); the
request decodes it to check it, and the images worker then makes a thumbnail
and a dozen renditions from it. Without a budget one workspace could keep the
web processes and the images queue busy for everyone. Two counters per
workspace per minute, in the shared cache (`core.counters`):

- `MEDIA_UPLOADS_PER_MINUTE` uploads, counted before the file is read;
- `MEDIA_MEGAPIXELS_PER_MINUTE` megapixels, as the file's header declares them,
  counted before it is decoded.

Past either, `Throttled` (the UI and the API answer 429 with `Retry-After`).
The same file uploaded again counts too: its check costs the same decode.
"""

from __future__ import annotations

import math

from django.conf import settings

from core.counters import Throttled, count

WINDOW = 60


def _wait(seconds: int) -> str:
    return "1 second" if seconds == 1 else f"{seconds} seconds"


def charge_upload(workspace_id: int) -> None:
    """Count one upload for the workspace; `Throttled` past the minute's limit."""
    limit = int(settings.MEDIA_UPLOADS_PER_MINUTE)
    total, left = count(f"media:uploads:{workspace_id}", window=WINDOW)
    if total > limit:
        raise Throttled(
            f"This workspace uploaded {limit} images in the last minute, the most "
            f"allowed. Try again in {_wait(left)}.",
            retry_after=left,
            code="upload_rate",
        )


def charge_pixels(workspace_id: int, pixels: int) -> None:
    """Count an image's declared pixels; `Throttled` past the minute's budget.

    One image larger than the whole budget is still let through when the
    window is otherwise empty (the pixel limit of an upload is its own check),
    so a low budget never makes a large photo impossible to upload.
    """
    if pixels <= 0:
        return
    budget = int(settings.MEDIA_MEGAPIXELS_PER_MINUTE) * 1_000_000
    cost = max(1, math.ceil(pixels / 1_000_000))
    total, left = count(f"media:megapixels:{workspace_id}", window=WINDOW, cost=cost)
    if total * 1_000_000 > budget and total != cost:
        raise Throttled(
            "This workspace sent more image work than it may in one minute "
            f"({settings.MEDIA_MEGAPIXELS_PER_MINUTE} megapixels). Try again in "
            f"{_wait(left)}.",
            retry_after=left,
            code="upload_rate",
        )
