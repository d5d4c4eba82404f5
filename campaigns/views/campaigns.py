"""Campaigns of the current workspace: list, detail, edit, status and re-plan.

Everyone who sees the workspace sees its campaigns; changes need EDIT_CONTENT
(the services check it again). Another workspace's campaign answers 404.
New campaigns are made by the wizard (`campaigns.views.wizard`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    Job,
    PostStatus,
)
from campaigns.services import campaigns as campaign_services
from campaigns.services import plans
from campaigns.services.campaigns import Cadence, PillarSpec
from campaigns.views.campaign_forms import (
    CampaignForm,
    CampaignStatusForm,
    ChannelsForm,
    PillarFormSet,
)
from connections.models import ChannelAccount
from core.errors import ConflictError
from workspaces.permissions import Action, can
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    require,
    workspace_view,
)

FORBIDDEN = "Only owners, admins and editors can change campaigns."
# The post statuses the list shows a count for, in lifecycle order.
COUNTED = [
    PostStatus.DRAFT,
    PostStatus.IN_REVIEW,
    PostStatus.APPROVED,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHED,
]


def calendar_url(campaign: Campaign) -> str:
    """The campaign's posts on the calendar, opened at its first month."""
    return (
        f"{reverse('calendar')}?campaign={campaign.pk}"
        f"&date={campaign.start_date.isoformat()}"
    )


def _campaigns(request: WorkspaceRequest) -> QuerySet[Campaign]:
    return Campaign.objects.filter(workspace=request.workspace)


def _editable(request: WorkspaceRequest) -> bool:
    return can(request.user, Action.EDIT_CONTENT, request.workspace)


@workspace_view
def campaign_list(request: WorkspaceRequest) -> HttpResponse:
    counts = {
        f"n_{status.value}": Count("posts", filter=Q(posts__status=status))
        for status in COUNTED
    }
    campaigns = (
        _campaigns(request)
        .select_related("brand")
        .prefetch_related(
            Prefetch(
                "cadences",
                queryset=CampaignChannel.objects.select_related("account"),
            )
        )
        .annotate(n_posts=Count("posts"), **counts)
    )
    rows = [
        {
            "campaign": c,
            "counts": [
                (status.label, getattr(c, f"n_{status.value}")) for status in COUNTED
            ],
        }
        for c in campaigns
    ]
    return render(
        request,
        "campaigns/campaigns/list.html",
        {"section": "campaigns", "rows": rows, "edit": _editable(request)},
    )


@workspace_view
def campaign_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(
        _campaigns(request)
        .select_related("brand")
        .prefetch_related(
            "pillars",
            Prefetch(
                "cadences",
                queryset=CampaignChannel.objects.select_related("account"),
            ),
        ),
        pk=pk,
    )
    by_status = dict(
        campaign.posts.values_list("status").annotate(n=Count("id")).order_by()
    )
    jobs = Job.objects.filter(
        workspace=campaign.workspace, kind=plans.PLAN_JOB, input__campaign_id=pk
    )[:5]
    total_weight = sum(p.weight for p in campaign.pillars.all()) or 1
    context: dict[str, Any] = {
        "section": "campaigns",
        "campaign": campaign,
        "pillars": [
            (p, round(p.weight * 100 / total_weight)) for p in campaign.pillars.all()
        ],
        "post_counts": [
            (label, by_status.get(value, 0))
            for value, label in PostStatus.choices
            if by_status.get(value)
        ],
        "post_total": sum(by_status.values()),
        "jobs": jobs,
        "calendar_url": calendar_url(campaign),
        "edit": _editable(request),
        "status_form": CampaignStatusForm(initial={"status": campaign.status}),
    }
    return render(request, "campaigns/campaigns/detail.html", context)


def _accounts(request: WorkspaceRequest) -> list[ChannelAccount]:
    return list(ChannelAccount.objects.filter(workspace=request.workspace))


@workspace_view
def campaign_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    workspace = require(request, Action.EDIT_CONTENT, FORBIDDEN)
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    accounts = _accounts(request)
    if request.method == "POST":
        form = CampaignForm(request.POST, workspace=workspace)
        channels = ChannelsForm(request.POST, accounts=accounts, prefix="ch")
        pillars = PillarFormSet(request.POST, prefix="pillars")
        if form.is_valid() & channels.is_valid() & pillars.is_valid():
            data = dict(form.cleaned_data)
            try:
                campaign_services.campaign_update(
                    campaign=campaign,
                    by=request.user,
                    data=data,
                    cadences=[Cadence(a, n) for a, n in channels.cadences()],
                    pillars=[PillarSpec(n, w, d) for n, w, d in pillars.pillars()],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, f"Campaign “{campaign.name}” is saved.")
                return redirect("campaign-detail", pk=campaign.pk)
        campaign.refresh_from_db()
        status = 400
    else:
        form = CampaignForm(
            initial=CampaignForm.initial_for(campaign), workspace=workspace
        )
        channels = ChannelsForm(
            initial=ChannelsForm.initial_for(
                list(campaign.cadences.values_list("account_id", "posts_per_week"))
            ),
            accounts=accounts,
            prefix="ch",
        )
        pillars = PillarFormSet(
            initial=[
                {"name": p.name, "weight": p.weight, "description": p.description}
                for p in campaign.pillars.all()
            ],
            prefix="pillars",
        )
        status = 200
    return render(
        request,
        "campaigns/campaigns/edit.html",
        {
            "section": "campaigns",
            "campaign": campaign,
            "form": form,
            "channels_form": channels,
            "pillar_formset": pillars,
        },
        status=status,
    )


@require_POST
@workspace_view
def campaign_status(request: WorkspaceRequest, pk: int) -> HttpResponse:
    require(request, Action.EDIT_CONTENT, FORBIDDEN)
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    form = CampaignStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status: draft, active, paused or finished.")
        return redirect("campaign-detail", pk=pk)
    try:
        campaign_services.campaign_update(
            campaign=campaign,
            by=request.user,
            data={"status": form.cleaned_data["status"]},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = CampaignStatus(campaign.status).label.lower()
        messages.success(request, f"“{campaign.name}” is now {label}.")
    return redirect("campaign-detail", pk=pk)


@require_POST
@workspace_view
def campaign_replan(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Ask for a (re-)plan and follow it on the job page."""
    require(request, Action.EDIT_CONTENT, FORBIDDEN)
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    try:
        with transaction.atomic():
            job = plans.plan_request(campaign=campaign, by=request.user)
    except ConflictError as error:
        running = error.extra.get("job_id")
        if running:
            messages.info(request, str(error))
            return redirect("job", pk=running)
        messages.error(request, str(error))
        return redirect("campaign-detail", pk=pk)
    return redirect("job", pk=job.pk)
