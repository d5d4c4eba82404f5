"""A job's progress page: polled by HTMX every second until the job is done.

The job must belong to the current workspace (404 otherwise, so another
workspace's job ids tell nothing). Plan jobs link to their campaign's posts.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from campaigns.models import JOB_FINISHED, Campaign, Job
from campaigns.views.campaigns import calendar_url
from workspaces.views.common import WorkspaceRequest, render_panel, workspace_view

PAGE = "campaigns/jobs/page.html"


@workspace_view
def job_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.filter(workspace=request.workspace), pk=pk)
    campaign_id = job.input.get("campaign_id") if isinstance(job.input, dict) else None
    campaign = (
        Campaign.objects.filter(workspace=job.workspace, pk=campaign_id).first()
        if campaign_id
        else None
    )
    done = job.status in JOB_FINISHED
    context: dict[str, Any] = {
        "section": "campaigns",
        "job": job,
        "done": done,
        "campaign": campaign,
        "calendar_url": calendar_url(campaign) if campaign else None,
        "result": job.result if isinstance(job.result, dict) else {},
    }
    return render_panel(request, PAGE, context)
