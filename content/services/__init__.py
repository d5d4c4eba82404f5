"""Every write and business rule of the content app.

`generation` (request, run, cancel), `variants` (edits, choice, delete,
streaming, the approval gate) and `budget` (provider choice, estimates, monthly
spend) for copy; `assets` (the media library: upload, tags, search, usage,
attach, delete) and `image_generation` (image jobs) for images. Callers import
from here: `from content import services`.
"""

from content.services.assets import (
    UploadRejected,
    asset_attach,
    asset_delete,
    asset_detach,
    asset_search,
    asset_tag,
    asset_untag,
    asset_update,
    asset_upload,
    asset_usage,
)
from content.services.budget import month_spend, resolve_provider
from content.services.generation import (
    generation_cancel,
    generation_request,
    run_generation,
)
from content.services.image_generation import (
    image_generation_request,
    image_job_cancel,
    run_image_generation,
)
from content.services.variants import (
    gate_overridden,
    gate_problems,
    variant_choose,
    variant_delete,
    variant_gate_override,
    variant_stream,
    variant_update_text,
)

__all__ = [
    "UploadRejected",
    "asset_attach",
    "asset_delete",
    "asset_detach",
    "asset_search",
    "asset_tag",
    "asset_untag",
    "asset_update",
    "asset_upload",
    "asset_usage",
    "gate_overridden",
    "gate_problems",
    "generation_cancel",
    "generation_request",
    "image_generation_request",
    "image_job_cancel",
    "month_spend",
    "resolve_provider",
    "run_generation",
    "run_image_generation",
    "variant_choose",
    "variant_delete",
    "variant_gate_override",
    "variant_stream",
    "variant_update_text",
]
