"""CSV import of posts: upload a file; every row goes in, or none and a table
of what to fix (line, column, message). The rules live in
`campaigns.services.imports`; this page documents its columns."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from campaigns.services.imports import COLUMNS, MAX_ROWS, ImportInvalid, posts_import
from campaigns.views.campaigns import calendar_url
from campaigns.views.import_forms import PostImportCampaignForm
from workspaces.permissions import Action
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    require,
    workspace_view,
)

FORBIDDEN = "Only owners, admins and editors can import posts."
# What each column means, shown on the page (the service's docstring in short).
COLUMN_HELP: dict[str, tuple[bool, str]] = {
    "campaign": (
        False,
        "Campaign id or exact name. Required unless you choose a campaign above.",
    ),
    "topic": (True, "What the post is about; 300 characters at most."),
    "angle": (False, "How it is told; 300 characters at most."),
    "body": (False, "Draft copy."),
    "link": (False, "A full address starting with https:// or http://."),
    "scheduled_at": (
        False,
        "Empty (not on the calendar yet), ISO 8601 with an offset "
        "(2026-03-02T09:00:00+01:00) or a local time YYYY-MM-DD HH:MM in the "
        "campaign's time zone. The day must be within the campaign and not a "
        "blackout date; local times in the skipped or repeated hour of a DST "
        "change are refused (give an offset).",
    ),
    "accounts": (
        False,
        "Channel-account ids or names separated by | ; empty means the "
        "campaign's channels.",
    ),
    "pillar": (False, "A pillar name of the campaign."),
    "notes": (False, "Internal notes."),
}
EXAMPLE = (
    "campaign,topic,angle,scheduled_at,accounts,pillar\n"
    "Spring launch,Meet the roaster,Behind the scenes,2026-03-02 09:00,,Craft\n"
)


def _page(
    request: WorkspaceRequest,
    form: PostImportCampaignForm,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context: dict[str, Any] = {
        "section": "campaigns",
        "form": form,
        "columns": [(name, *COLUMN_HELP.get(name, (False, ""))) for name in COLUMNS],
        "example": EXAMPLE,
        "max_rows": MAX_ROWS,
        **extra,
    }
    return render(request, "campaigns/imports/page.html", context, status=status)


@workspace_view
def posts_import_page(request: WorkspaceRequest) -> HttpResponse:
    workspace = require(request, Action.EDIT_CONTENT, FORBIDDEN)
    if request.method != "POST":
        return _page(request, PostImportCampaignForm(workspace=workspace))
    form = PostImportCampaignForm(request.POST, request.FILES, workspace=workspace)
    if not form.is_valid():
        return _page(request, form, status=400)
    campaign = form.cleaned_data.get("campaign")
    try:
        result = posts_import(
            workspace=workspace,
            by=request.user,
            csv_text=form.cleaned_data["file"],
            campaign=campaign,
        )
    except ImportInvalid as error:
        return _page(
            request,
            form,
            status=400,
            row_errors=error.rows,
            error_total=error.total,
        )
    except ValidationError as error:
        apply_validation_error(form, error)
        return _page(request, form, status=400)
    return _page(
        request,
        PostImportCampaignForm(workspace=workspace),
        created=result.created,
        calendar_url=calendar_url(campaign) if campaign else None,
    )
