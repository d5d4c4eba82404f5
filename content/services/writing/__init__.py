"""Writing one post's copy, with no database in the hot path.

`task`: the task per channel (brand facts, rendered prompt, channel spec), its
inputs hash and cost estimate. `channel`: the per-channel pipeline the pool's
threads run: call the provider, check the channel rules, send violations back
once, shorten and flag what still breaks them, then the brand-safety gate and
the AI label.

The providers (`content.llm`), the channel rules (`networks.textrules`) and
the gate (`content.moderation`) are imported where they are used, so importing
the services loads no client library.
"""

from content.services.writing.channel import (
    ChannelOutcome,
    CheckedText,
    GateContext,
    call_provider,
    finish_channel,
    gate_text,
    measure_report,
    stream_channel,
    violation_dicts,
    write_channel,
)
from content.services.writing.task import (
    COPY_TEMPLATE,
    Plan,
    brand_facts,
    inputs_hash,
    plan_for,
    post_for_generation,
    render_copy_prompt,
)

__all__ = [
    "COPY_TEMPLATE",
    "ChannelOutcome",
    "CheckedText",
    "GateContext",
    "Plan",
    "brand_facts",
    "call_provider",
    "finish_channel",
    "gate_text",
    "inputs_hash",
    "measure_report",
    "plan_for",
    "post_for_generation",
    "render_copy_prompt",
    "stream_channel",
    "violation_dicts",
    "write_channel",
]
