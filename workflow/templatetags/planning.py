"""`{% angle_source workspace %}`: who proposes a plan's topics and angles, so
the wizard, the campaign page and the plan job say the truth for the
workspace's AI settings (an LLM when one is set for copy, else the offline
planner)."""

from __future__ import annotations

from django import template

from workflow.planner.angles import angle_source as source
from workspaces.models import Workspace

register = template.Library()


@register.simple_tag
def angle_source(workspace: Workspace | None) -> str:
    if workspace is None:
        return "the offline planner (rules, no AI)"
    return source(workspace)
