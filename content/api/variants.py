"""`/api/v1/variants/`: the copy variants of posts, one network each.

Read them with their channel-rule report (length as the network counts it), the
brand-safety verdict, provenance (provider, model, template and version, inputs
hash, tokens, cost, latency, who made it) and every human edit with its diff.
Change the text (tracked, measured and gated again), choose one per network,
delete, or let an owner or admin accept a variant the gate failed.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from connections.models import Network
from content import services
from content.api.serializers import VariantSerializer, VariantTextSerializer
from content.models import Variant, VariantEdit, VariantStatus
from core.api.docs import RETRY_AFTER, errors
from core.api.filters import IdFilter
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceFilter
from workspaces.permissions import Action, visible_workspaces

VARIANT_EXAMPLE = {
    "id": 301,
    "workspace": 1,
    "post": 7,
    "generation": 42,
    "network": "x",
    "account": 6,
    "label": "B",
    "text": "Light roast is not weak: it keeps the origin's fruit. Taste it "
    "https://contoso.example/light #coffee",
    "hashtags": ["#coffee"],
    "link_placement": "end",
    "alt_text": "A cup of light roast on a wooden table",
    "image_prompt": "Morning light on a ceramic cup of light roast coffee",
    "rationale": "Leads with the myth, then the proof.",
    "status": "proposed",
    "rules": {
        "length": 96,
        "unit": "weighted characters",
        "limit": 280,
        "violations": [],
        "shortened": False,
        "flagged": False,
        "retried": False,
        "edited": True,
        "measure": {"length": 96, "limit": 280, "over_by": 0},
    },
    "gate": {
        "passed": True,
        "reasons": [],
        "required_label": None,
        "overridden": False,
        "overridden_by": None,
        "overridden_at": None,
    },
    "provenance": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "offline_draft": False,
        "template": "copy",
        "template_version": "3",
        "inputs_hash": "9f2c…",
        "tokens_in": 270,
        "tokens_out": 130,
        "cost": "0.000119",
        "latency_ms": 812,
        "made_by": "machine",
        "created_by": 3,
        "created_by_key": None,
    },
    "edits": [
        {
            "id": 9,
            "by": 3,
            "by_key": None,
            "by_name": "Ada",
            "at": "2026-03-02T09:05:00Z",
            "diff": "--- before\n+++ after\n@@ -1 +1 @@\n-Light roast…\n+Light "
            "roast is not weak…\n",
        }
    ],
    "created_at": "2026-03-02T09:00:03Z",
    "updated_at": "2026-03-02T09:05:00Z",
}


class VariantFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    post = IdFilter(field_name="post_id")
    generation = IdFilter(field_name="generation_id")
    network = filters.ChoiceFilter(choices=Network.choices)
    status = filters.ChoiceFilter(choices=VariantStatus.choices)

    class Meta:
        model = Variant
        fields = ["workspace", "post", "generation", "network", "status"]


@extend_schema(tags=["copy variants"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List copy variants",
        description="By post, network and label. Filters combine; a page costs "
        "the same few queries whatever its length.",
        responses={200: VariantSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a copy variant",
        description="`rules.length` is measured as the network counts (X counts "
        "a URL as 23, Bluesky graphemes); `gate` is the brand-safety verdict; "
        "`provenance.offline_draft` is true for the offline writer's drafts.",
        responses={200: VariantSerializer, **errors(404)},
        examples=[OpenApiExample("An edited X variant", value=VARIANT_EXAMPLE)],
    ),
)
class VariantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = VariantSerializer
    filterset_class = VariantFilter
    queryset = Variant.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "partial_update": Action.EDIT_CONTENT,
        "destroy": Action.EDIT_CONTENT,
        "choose": Action.EDIT_CONTENT,
    }

    def get_queryset(self) -> QuerySet[Variant]:
        edits = VariantEdit.objects.select_related("by", "by_key").order_by("at", "pk")
        return (
            Variant.objects.filter(workspace__in=visible_workspaces(self.principal()))
            .select_related("post")
            .prefetch_related(Prefetch("edits", queryset=edits), "post__accounts")
            .order_by("post_id", "network", "label", "pk")
        )

    def _answer(self, variant: Variant) -> Response:
        fresh = self.get_queryset().get(pk=variant.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        summary="Edit a variant's text",
        description="Only `text` may change. The edit is recorded (who, when, "
        "diff); the answer carries the new rule report and gate verdict (an "
        "earlier gate override is dropped). Editing the chosen copy of an "
        "approved post sends it back to review. Needs edit_content; a published "
        "or canceled post answers 409.",
        request=VariantTextSerializer,
        responses={200: VariantSerializer, **errors(400, 403, 404, 409, 413, 415)},
        examples=[
            OpenApiExample(
                "New copy",
                value={"text": "Light roast is not weak. Taste why."},
                request_only=True,
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        variant = self.get_object()
        data = VariantTextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        variant = services.variant_update_text(
            variant=variant, by=self.principal(), text=data.validated_data["text"]
        )
        return self._answer(variant)

    @extend_schema(
        summary="Delete a variant",
        description="Deleting the chosen copy of an approved post sends it back "
        "to review. Needs edit_content.",
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.variant_delete(variant=self.get_object(), by=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Choose a variant",
        description="It becomes the post's copy on its network; the previous "
        "choice goes back to `proposed`. On an approved post a new choice needs "
        "a new review. A variant whose text breaks a limit of one of the post's "
        "accounts on its network (length, bytes, a thread part; the account's "
        "own limit where it sets one) answers 400 with the reasons on `text`. "
        "Needs edit_content.",
        request=None,
        responses={200: VariantSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def choose(self, request: Request, pk: str) -> Response:
        variant = services.variant_choose(
            variant=self.get_object(), by=self.principal()
        )
        return self._answer(variant)

    @extend_schema(
        summary="Accept a variant the brand-safety gate failed",
        description="Records who accepted it and when (`gate.overridden_by`, "
        "`gate.overridden_at`), so the post can be approved with it. A person "
        "who is owner or admin of the workspace only: other roles and every API "
        "key answer 403.",
        request=None,
        responses={200: VariantSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="override-gate")
    def override_gate(self, request: Request, pk: str) -> Response:
        variant = services.variant_gate_override(
            variant=self.get_object(), by=self.principal()
        )
        return self._answer(variant)
