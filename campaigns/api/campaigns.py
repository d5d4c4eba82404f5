"""`/api/v1/campaigns/`: briefs with dates, channels and their cadence, pillars.

`channels` and `pillars` are written nested and replace the lists when given
(pillars are matched by name, so posts keep theirs). `POST .../plan/` queues a
plan (202 with the job; poll `/api/v1/jobs/{id}/`). The rules are
`campaigns.services.campaigns` and `campaigns.services.plans`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import services
from campaigns.api.jobs import JOB_EXAMPLE, JobSerializer
from campaigns.models import (
    BrandProfile,
    Campaign,
    CampaignChannel,
    CampaignStatus,
    Objective,
    Pillar,
)
from campaigns.services.campaigns import Cadence, PillarSpec
from connections.api.channel_accounts import VisibleField, named_choice
from connections.models import ChannelAccount
from core.api.common import ModelSerializer, StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from core.api.filters import IdFilter
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceField, WorkspaceFilter
from workspaces.permissions import Action, visible_workspaces


class CadenceSerializer(serializers.ModelSerializer[CampaignChannel]):
    class Meta:
        model = CampaignChannel
        fields = ["account", "posts_per_week"]
        read_only_fields = fields


class PillarSerializer(serializers.ModelSerializer[Pillar]):
    class Meta:
        model = Pillar
        fields = ["id", "name", "weight", "description"]
        read_only_fields = fields


class CampaignSerializer(ModelSerializer):
    channels = CadenceSerializer(source="cadences", many=True, read_only=True)
    pillars = PillarSerializer(many=True, read_only=True)
    status = named_choice("CampaignStatus", CampaignStatus.choices, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "workspace",
            "brand",
            "name",
            "objective",
            "brief",
            "start_date",
            "end_date",
            "time_zone",
            "channels",
            "pillars",
            "blackout_dates",
            "kpi_targets",
            "min_gap_minutes",
            "status",
            "utm_campaign",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CadenceInput(StrictSerializer):
    account = VisibleField(ChannelAccount, label_text="channel account")
    posts_per_week = serializers.IntegerField(min_value=1, max_value=70, default=3)


class PillarInput(StrictSerializer):
    name = serializers.CharField(max_length=120)
    weight = serializers.IntegerField(min_value=1, max_value=100, default=1)
    description = serializers.CharField(allow_blank=True, default="")


class CampaignUpdateSerializer(StrictSerializer):
    brand = VisibleField(BrandProfile, required=False, label_text="brand")
    name = serializers.CharField(max_length=200, required=False)
    objective = serializers.ChoiceField(choices=Objective.choices, required=False)
    brief = serializers.CharField(allow_blank=True, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="IANA name, e.g. Europe/Berlin."
    )
    blackout_dates = serializers.ListField(
        child=serializers.DateField(), required=False
    )
    kpi_targets = serializers.DictField(
        child=serializers.FloatField(min_value=0), required=False
    )
    min_gap_minutes = serializers.IntegerField(
        min_value=0, max_value=10080, required=False
    )
    status = named_choice("CampaignStatus", CampaignStatus.choices, required=False)
    utm_campaign = serializers.SlugField(
        max_length=100, allow_blank=True, required=False
    )
    channels = CadenceInput(many=True, required=False)
    pillars = PillarInput(many=True, required=False)


class CampaignCreateSerializer(CampaignUpdateSerializer):
    workspace = WorkspaceField()
    brand = VisibleField(BrandProfile, label_text="brand")
    name = serializers.CharField(max_length=200)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="IANA name, e.g. Europe/Berlin; the workspace's when omitted.",
    )


def _service_args(validated: dict[str, Any]) -> dict[str, Any]:
    """Split validated input into the service's `data`, `cadences`, `pillars`."""
    data = dict(validated)
    data.pop("workspace", None)
    channels, pillars = data.pop("channels", None), data.pop("pillars", None)
    if "blackout_dates" in data:
        data["blackout_dates"] = [d.isoformat() for d in data["blackout_dates"]]
    return {
        "data": data,
        "cadences": None
        if channels is None
        else [Cadence(c["account"], c["posts_per_week"]) for c in channels],
        "pillars": None if pillars is None else [PillarSpec(**p) for p in pillars],
    }


class CampaignFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    brand = IdFilter(field_name="brand_id")
    status = filters.ChoiceFilter(choices=CampaignStatus.choices)

    class Meta:
        model = Campaign
        fields = ["workspace", "brand", "status"]


CAMPAIGN_EXAMPLE = {
    "workspace": 1,
    "brand": 3,
    "name": "Spring launch",
    "objective": "traffic",
    "brief": "Launch the spring blend; push pre-orders.",
    "start_date": "2026-03-01",
    "end_date": "2026-04-15",
    "time_zone": "Europe/Berlin",
    "channels": [
        {"account": 5, "posts_per_week": 3},
        {"account": 6, "posts_per_week": 5},
    ],
    "pillars": [
        {"name": "Product", "weight": 3, "description": "The blend itself"},
        {"name": "Behind the scenes", "weight": 1, "description": ""},
    ],
    "blackout_dates": ["2026-04-03"],
    "kpi_targets": {"clicks": 500},
}


@extend_schema(tags=["campaigns"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List campaigns",
        description="Campaigns of every visible workspace, newest start first, "
        "with their channels (cadence) and pillars.",
        responses={200: CampaignSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a campaign",
        description="The brief, dates and time zone, channels with posts per "
        "week, pillars with weights, blackout dates and KPI targets.",
        responses={200: CampaignSerializer, **errors(404)},
    ),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.EDIT_CONTENT
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    queryset = Campaign.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "partial_update": Action.EDIT_CONTENT,
        "destroy": Action.EDIT_CONTENT,
    }

    def get_queryset(self) -> QuerySet[Campaign]:
        return (
            Campaign.objects.filter(workspace__in=visible_workspaces(self.principal()))
            .select_related("workspace")
            .prefetch_related("cadences", "pillars")
            .order_by("-start_date", "name", "pk")
        )

    def _answer(self, campaign: Campaign, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=campaign.pk)
        return Response(CampaignSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Create a campaign",
        description="A draft campaign with its channels and pillars. Needs "
        "edit_content. The brand and accounts must be of the same workspace.",
        request=CampaignCreateSerializer,
        responses={201: CampaignSerializer, **errors(400, 403, 413, 415)},
        examples=[
            OpenApiExample("A campaign", value=CAMPAIGN_EXAMPLE, request_only=True)
        ],
    )
    def create(self, request: Request) -> Response:
        data = CampaignCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        campaign = services.campaigns.campaign_create(
            workspace=data.validated_data["workspace"],
            by=self.principal(),
            **_service_args(data.validated_data),
        )
        return self._answer(campaign, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a campaign",
        description="`channels` and `pillars`, when given, replace the lists.",
        request=CampaignUpdateSerializer,
        responses={200: CampaignSerializer, **errors(400, 403, 404, 413, 415)},
        examples=[
            OpenApiExample(
                "Extend and re-weight",
                value={
                    "end_date": "2026-04-30",
                    "pillars": [{"name": "Product", "weight": 2}],
                },
                request_only=True,
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        data = CampaignUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        campaign = services.campaigns.campaign_update(
            campaign=campaign, by=self.principal(), **_service_args(data.validated_data)
        )
        return self._answer(campaign)

    @extend_schema(
        summary="Delete a campaign",
        description="Deletes its posts too; a campaign with published posts "
        "answers 409 (`in_use`).",
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.campaigns.campaign_delete(
            campaign=self.get_object(), by=self.principal()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Generate the plan",
        description="Queues a (re-)plan and answers 202 with the job; poll "
        "`GET /api/v1/jobs/{id}/`. Re-planning keeps posts a person edited or "
        "moved past draft. 409 `not_ready` without channels; 409 `job_running` "
        "(with `job_id`) while a plan of this campaign is being made.",
        request=None,
        responses={202: JobSerializer, **errors(403, 404, 409)},
        examples=[
            OpenApiExample(
                "Queued",
                value={**JOB_EXAMPLE, "status": "queued", "progress": 0},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def plan(self, request: Request, pk: str) -> Response:
        job = services.plans.plan_request(
            campaign=self.get_object(), by=self.principal()
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
