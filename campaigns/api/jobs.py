"""`/api/v1/jobs/`: long work (plans now; copy and images later) and its progress.

A client that started a job (e.g. `POST /api/v1/campaigns/{id}/plan/`, 202)
polls `GET /api/v1/jobs/{id}/` until `status` is `succeeded` or `failed`.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.models import Job, JobStatus
from connections.api.channel_accounts import named_choice
from core.api.docs import RETRY_AFTER, errors
from core.errors import ConflictError
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceFilter
from workspaces.permissions import Action, visible_workspaces


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

    action_permissions = {"cancel": Action.EDIT_CONTENT}

    def get_queryset(self) -> QuerySet[Job]:
        return Job.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("-created_at", "-pk")

    @extend_schema(
        summary="Cancel a job",
        description="Image jobs stop before their next image (the ones made stay); "
        "a plan runs to its end, so canceling one answers 409 `not_cancelable`, "
        "as does a job that already ended.",
        request=None,
        responses={200: JobSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        from content.services.image_generation import KIND, image_job_cancel

        job = self.get_object()
        if job.kind != KIND:
            raise ConflictError(
                f"A {job.kind} job cannot be canceled; it runs to its end.",
                code="not_cancelable",
            )
        job = image_job_cancel(job=job, by=self.principal())
        return Response(JobSerializer(job).data)
