"""`/api/v1/jobs/`: long work (plans now; copy and images later) and its progress.

A client that started a job (e.g. `POST /api/v1/campaigns/{id}/plan/`, 202)
polls `GET /api/v1/jobs/{id}/` until `status` is `succeeded` or `failed`.
Canceling one (an image job) needs content: `workflow.api.jobs` adds it and is
what config/api_urls.py mounts.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from campaigns.models import Job, JobStatus
from connections.api.channel_accounts import named_choice
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceFilter
from workspaces.permissions import visible_workspaces


class JobSerializer(serializers.ModelSerializer[Job]):
    status = named_choice("JobStatus", JobStatus.choices, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "workspace",
            "kind",
            "status",
            "progress",
            "message",
            "input",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


JOB_EXAMPLE = {
    "id": 42,
    "workspace": 1,
    "kind": "plan",
    "status": "running",
    "progress": 40,
    "message": "Planning week 2 of 5",
    "input": {"campaign_id": 7},
    "result": {},
    "error": "",
    "created_at": "2026-03-02T09:00:00Z",
    "started_at": "2026-03-02T09:00:01Z",
    "finished_at": None,
}


class JobFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    status = filters.ChoiceFilter(choices=JobStatus.choices)
    kind = filters.CharFilter()

    class Meta:
        model = Job
        fields = ["workspace", "status", "kind"]


@extend_schema(tags=["jobs"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List jobs",
        description="Newest first.",
        responses={200: JobSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a job's status and progress",
        description="`progress` is 0 to 100; `result` is filled when it succeeded, "
        "`error` (for a person) when it failed.",
        responses={200: JobSerializer, **errors(404)},
        examples=[OpenApiExample("A running plan", value=JOB_EXAMPLE)],
    ),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = JobSerializer
    filterset_class = JobFilter
    queryset = Job.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[Job]:
        return Job.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("-created_at", "-pk")
