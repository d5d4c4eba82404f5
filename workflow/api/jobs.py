"""`/api/v1/jobs/`: the jobs resource of `campaigns.api.jobs` with its cancel
action, which only image jobs (content) honour; so the whole resource is
mounted from here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.api import jobs
from campaigns.api.jobs import JobSerializer
from content.services.image_generation import KIND, image_job_cancel
from core.api.docs import errors
from core.errors import ConflictError
from workspaces.permissions import Action


class JobViewSet(jobs.JobViewSet):
    action_permissions = {"cancel": Action.EDIT_CONTENT}

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
        job = self.get_object()
        if job.kind != KIND:
            raise ConflictError(
                f"A {job.kind} job cannot be canceled; it runs to its end.",
                code="not_cancelable",
            )
        job = image_job_cancel(job=job, by=self.principal())
        return Response(JobSerializer(job).data)
