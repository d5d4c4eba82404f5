"""Every write and business rule of copy generation.

`generation` (request, run, cancel), `variants` (edits, choice, delete,
streaming, the approval gate) and `budget` (provider choice, estimates, monthly
spend). Callers import from here: `from content import services`.
"""

from content.services.budget import month_spend, resolve_provider
from content.services.generation import (
    generation_cancel,
    generation_request,
    run_generation,
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
    "gate_overridden",
    "gate_problems",
    "generation_cancel",
    "generation_request",
    "month_spend",
    "resolve_provider",
    "run_generation",
    "variant_choose",
    "variant_delete",
    "variant_gate_override",
    "variant_stream",
    "variant_update_text",
]
