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
