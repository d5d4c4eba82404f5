"""Small helpers of the calendar templates: network marks, the week view's
hour cells and the queue badge."""

from __future__ import annotations

from typing import Any

from django import template

from campaigns.models import Post, PostStatus
from publishing.models import Publication, PublicationStatus
from workspaces.permissions import Action, can

register = template.Library()

# Two-letter marks drawn as a coloured chip; the full name is the chip's title.
NETWORK_MARKS = {
    "mastodon": "Ma",
    "bluesky": "Bs",
    "x": "X",
    "linkedin": "in",
    "facebook": "f",
    "instagram": "Ig",
    "email": "@",
    "webhook": "Wh",
    "wordpress": "W",
}


@register.filter
def network_mark(network: str) -> str:
    return NETWORK_MARKS.get(network, network[:2].title())


@register.filter
def at_hour(day: Any, hour: int) -> list[Any]:
    """The cards of a calendar day at one local hour (the week view's cells)."""
    return list(day.at_hour(hour))


@register.simple_tag(takes_context=True)
def approvals_waiting(context: dict[str, Any]) -> int:
    """Posts in review in the current workspace, for people who approve (else 0).

    Posts in review and publications whose copy waits for a review (two
    COUNTs a page), and only for reviewers, clients, admins and owners.
    """
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    if (
        request is None
        or workspace is None
        or not can(request.user, Action.APPROVE, workspace)
    ):
        return 0
    posts = Post.objects.filter(workspace=workspace, status=PostStatus.IN_REVIEW)
    # A copy edited after its post started publishing waits for a review too.
    copies = Publication.objects.filter(
        workspace=workspace, status=PublicationStatus.NEEDS_REVIEW
    )
    return posts.count() + copies.count()
