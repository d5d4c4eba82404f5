"""`POST /api/v1/posts/{id}/generate/`, `/api/v1/generations/` and
`GET /api/v1/workspaces/{id}/ai-spend/`.

Generating is a job: the answer is 202 with a `queued` generation that a client
polls at `/api/v1/generations/{id}/` (status, progress, cost, error) and can
cancel. An identical request answered before (same inputs hash) is reused
without calling the model: 200 with a `succeeded` generation and `cache_hit`.
A request that would go past the workspace's monthly budget is refused with 409
`budget_exceeded` before anything is sent to the model.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import selectors
from campaigns.models import Post
from content import services
from content.api.serializers import (
    AISpendSerializer,
    GenerateSerializer,
    GenerationSerializer,
)
from content.models import Generation, GenerationStatus
from content.services import budget
from core.api.docs import RETRY_AFTER, ErrorResponseSerializer, errors
from core.api.filters import IdFilter
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import (
    WORKSPACE_PATH,
    WorkspaceFilter,
    visible_workspace_or_404,
)
from workspaces.models import Workspace
from workspaces.permissions import Action, visible_workspaces

GENERATION_EXAMPLE = {
    "id": 42,
    "workspace": 1,
    "post": 7,
    "networks": ["bluesky", "x"],
    "accounts": [5, 6],
    "count": 3,
    "options": {"tone": "playful", "language": "en", "fresh": False},
    "status": "running",
    "progress": 50,
    "message": "x: written",
    "provider": "openai",
    "model": "gpt-4o-mini",
    "offline_draft": False,
    "template": "copy",
    "template_version": "3",
    "inputs_hash": "9f2c…",
    "cache_hit": False,
    "reused_from": None,
    "tokens_in": 812,
    "tokens_out": 390,
    "cost": "0.000356",
    "estimated_cost": "0.001562",
    "estimated_tokens": 3212,
    "error": "",
    "created_by": 3,
    "created_by_key": None,
    "created_at": "2026-03-02T09:00:00Z",
    "started_at": "2026-03-02T09:00:01Z",
    "finished_at": None,
    "canceled_at": None,
}
BUDGET_409 = OpenApiResponse(
    ErrorResponseSerializer,
    description="`budget_exceeded`: this month's spend plus the request's "
    "worst-case estimate goes past the workspace's budget (`budget`, `spend`, "
    "`estimate` in USD; or `token_budget`, `tokens`, `estimate_tokens`). Nothing "
    "was sent to the model. Also `not_ready` (the post has no channel) and "
    "`not_editable` (a published or canceled post).",
    examples=[
        OpenApiExample(
            "Over budget",
            value={
                "error": {
                    "code": "budget_exceeded",
                    "message": "This would exceed the monthly budget of $5.00: "
                    "$4.9980 spent this month and this request is estimated at "
                    "$0.0060.",
                    "fields": {},
                    "budget": "5.0000",
                    "spend": "4.998000",
                    "estimate": "0.006000",
                }
            },
        )
    ],
)


@extend_schema(tags=["copy generation"], parameters=[RETRY_AFTER])
class PostGenerateViewSet(ApiViewSet):
    """Only the `generate` action on posts (the rest of a post is in
    `workflow.api.posts`)."""

    serializer_class = GenerationSerializer
    queryset = Post.objects.none()  # schema only; see get_queryset

    action_permissions = {"generate": Action.EDIT_CONTENT}

    def get_queryset(self) -> QuerySet[Post]:
        return selectors.posts_visible(self.principal())

    @extend_schema(
        summary="Write copy variants for a post",
        description="Asks for `count` variants on each network of the post (or of "
        "the `accounts` named, or only on `network`: the other networks' variants "
        "stay as they are). **202**: a new `queued` generation; poll "
        "`/api/v1/generations/{id}/`. **200**: an identical request (same brand, "
        "campaign, post, channels, options, provider, model and prompt version) "
        "already succeeded and `fresh` is false: its variants are copied at once "
        "and the generation says `cache_hit: true` (no call, no cost). Needs "
        "edit_content (owner, admin, editor, write key).",
        request=GenerateSerializer,
        responses={
            202: OpenApiResponse(GenerationSerializer, description="Queued."),
            200: OpenApiResponse(
                GenerationSerializer, description="Reused: `cache_hit` is true."
            ),
            409: BUDGET_409,
            **errors(400, 403, 404, 413, 415),
        },
        examples=[
            OpenApiExample(
                "Three variants for two channels",
                value={"accounts": [5, 6], "count": 3, "tone": "playful"},
                request_only=True,
            ),
            OpenApiExample(
                "Two variants for the post's Bluesky account only",
                value={"network": "bluesky", "count": 2},
                request_only=True,
            ),
            OpenApiExample(
                "Queued",
                value=GENERATION_EXAMPLE,
                response_only=True,
                status_codes=[202],
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def generate(self, request: Request, pk: str) -> Response:
        post = self.get_object()
        data = GenerateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        generation = services.generation_request(
            post=post, by=self.principal(), **fields
        )
        code = status.HTTP_200_OK if generation.cache_hit else status.HTTP_202_ACCEPTED
        return Response(GenerationSerializer(generation).data, status=code)


class GenerationFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    post = IdFilter(field_name="post_id")
    status = filters.ChoiceFilter(choices=GenerationStatus.choices)

    class Meta:
        model = Generation
        fields = ["workspace", "post", "status"]


@extend_schema(tags=["copy generation"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List copy generations",
        description="Newest first, in every visible workspace. Filters combine.",
        responses={200: GenerationSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a generation's status, progress and cost",
        description="`progress` is 0 to 100; `error` says what failed (a bad "
        "key, an unknown model, a refusal). `cost` is what the calls cost, "
        "`estimated_cost` the worst case reserved against the budget. "
        "`offline_draft` is true for the offline writer.",
        responses={200: GenerationSerializer, **errors(404)},
        examples=[OpenApiExample("A running generation", value=GENERATION_EXAMPLE)],
    ),
)
class GenerationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = GenerationSerializer
    filterset_class = GenerationFilter
    queryset = Generation.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "cancel": Action.EDIT_CONTENT,
    }

    def get_queryset(self) -> QuerySet[Generation]:
        return Generation.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("-created_at", "-pk")

    @extend_schema(
        summary="Cancel a generation",
        description="A queued or running generation stops; variants already "
        "stored stay. Needs edit_content. A finished one answers 409 "
        "`not_cancelable` with its `status`.",
        request=None,
        responses={200: GenerationSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        generation = services.generation_cancel(
            generation=self.get_object(), by=self.principal()
        )
        return Response(GenerationSerializer(generation).data)


@extend_schema(tags=["copy generation"], parameters=[RETRY_AFTER])
class WorkspaceAISpendViewSet(ApiViewSet):
    """Only the `ai-spend` read on workspaces (the rest is in
    `workspaces.api.workspaces`)."""

    serializer_class = AISpendSerializer
    queryset = Workspace.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[Workspace]:
        return visible_workspaces(self.principal())

    def get_object(self) -> Workspace:
        """By id or slug, as every workspace address in the API."""
        return visible_workspace_or_404(self.principal(), self.kwargs["pk"])

    @extend_schema(
        summary="A workspace's AI spend this month",
        description="What copy generation cost this calendar month (UTC) against "
        "the workspace's monthly budgets; jobs still queued or running count "
        "with their estimate. Everyone who can see the workspace may read it.",
        request=None,
        parameters=[WORKSPACE_PATH],
        responses={200: AISpendSerializer, **errors(404)},
        examples=[
            OpenApiExample(
                "Half the budget",
                value={
                    "workspace": 1,
                    "month_start": "2026-03-01T00:00:00Z",
                    "spend": "2.500000",
                    "tokens": 1250000,
                    "budget": "5.0000",
                    "token_budget": None,
                    "remaining": "2.500000",
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get"], url_path="ai-spend")
    def ai_spend(self, request: Request, pk: str) -> Response:
        workspace = self.get_object()
        spend, tokens = services.month_spend(workspace)
        row = budget.ai_settings_for(workspace)
        limit = row.monthly_budget if row else None
        choice = services.resolve_provider(workspace)
        body = {
            "workspace": workspace.pk,
            "month_start": budget.month_start(),
            "spend": spend,
            "tokens": tokens,
            "budget": limit,
            "token_budget": row.monthly_token_budget if row else None,
            "remaining": None if limit is None else max(Decimal(0), limit - spend),
            "provider": choice.provider,
            "model": choice.model,
        }
        return Response(AISpendSerializer(body).data)
