"""Sections that are planned but not built yet: an honest page, not a fake one."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Upcoming:
    title: str
    summary: str
    will: tuple[str, ...]


UPCOMING: dict[str, Upcoming] = {
    "calendar": Upcoming(
        "Calendar",
        "The editorial calendar: every planned post of the workspace, by day.",
        (
            "Plan a campaign's posts on the best-performing time slots.",
            "Drag a post to another day; see what waits for approval.",
            "Follow each post from draft to published.",
        ),
    ),
    "campaigns": Upcoming(
        "Campaigns",
        "Briefs that AdLoop turns into a plan of posts.",
        (
            "Describe a goal, an audience and a period.",
            "Get a proposed plan you can edit before anything is written.",
            "Pause, resume or end a campaign at any time.",
        ),
    ),
    "content": Upcoming(
        "Content",
        "Copy and images written for each post, with their variants.",
        (
            "Review generated copy and images before they are scheduled.",
            "Compare variants and keep the ones you like.",
            "See why a text was flagged by the brand-safety check.",
        ),
    ),
    "channels": Upcoming(
        "Channels",
        "The social accounts and blogs AdLoop publishes to.",
        (
            "Connect accounts; credentials are stored encrypted.",
            "See every publication and its result per account.",
        ),
    ),
    "analytics": Upcoming(
        "Analytics",
        "What happened after publishing, and what AdLoop learned from it.",
        (
            "Reach, clicks and comments per post and per channel.",
            "The optimizer's decisions, each with its reason.",
        ),
    ),
}


@login_required
def upcoming(request: HttpRequest, section: str) -> HttpResponse:
    page = UPCOMING.get(section)
    if page is None:
        raise Http404
    return render(
        request,
        "campaigns/upcoming.html",
        {"section": section, "page": page},
    )
