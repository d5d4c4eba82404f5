"""`/api/v1/publications/`: one post on one channel account, its attempts, and a
person's actions on it: `publish-now`, `retry`, `cancel`, `resolve` (for an
`unconfirmed` outcome) and `approve` (its copy, edited after the post started
publishing: `needs_review`).

Each action calls one service in `publishing.delivery` (or
`publishing.publication_review`) and acts on that publication only; from a state
it does not start from it answers 409 with the actions `allowed` now. Editors
and up (and write keys) act; reviewers and clients read and approve copy;
read keys read. `retry` answers 409 `not_retryable` with the reason and the
`fix` ("edit" or "reconnect") when a retry cannot fix the failure.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from connections.api.channel_accounts import named_choice
from connections.models import Network
from core.api.common import ModelSerializer, StrictSerializer
from core.api.docs import RETRY_AFTER, ErrorResponseSerializer, errors
from core.api.filters import IdFilter
from core.errors import ConflictError
from publishing import failures, selectors, services
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceFilter
from workspaces.permissions import Action, can


class PublicationSerializer(ModelSerializer):
    network = named_choice("Network", Network.choices, read_only=True)
    status = named_choice("PublicationStatus", PS.choices, read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="The actions the caller may take now: publish-now, retry, "
        "cancel, resolve, approve."
    )
    fix = serializers.SerializerMethodField(
        help_text="For a failed publication, what helps: retry, edit (the copy) "
        "or reconnect (the account); null otherwise."
    )
    fix_reason = serializers.SerializerMethodField(
        help_text="Why a retry cannot help (empty when it can)."
    )

    class Meta:
        model = Publication
        fields = [
            "id",
            "workspace",
            "post",
            "account",
            "account_name",
            "network",
            "variant",
            "status",
            "due_at",
            "due_override",
            "next_attempt_at",
            "attempts",
            "external_id",
            "url",
            "error",
            "error_kind",
            "queued_at",
            "started_at",
            "first_attempt_at",
            "finished_at",
            "created_at",
            "updated_at",
            "allowed_actions",
            "fix",
            "fix_reason",
        ]
        read_only_fields = fields

    def get_fix(self, publication: Publication) -> str | None:
        return failures.fix_for(publication)

    def get_fix_reason(self, publication: Publication) -> str:
        return failures.not_retryable_reason(publication)

    def get_allowed_actions(self, publication: Publication) -> list[str]:
        request = self.context.get("request")
        principal = request.user if request is not None else None
        # One permission lookup per workspace, not per row of a list.
        cache = self.context.setdefault("_may_edit", {})
        if publication.workspace_id not in cache:
            # can() answers False for no one, as it does for an anonymous user.
            cache[publication.workspace_id] = principal is not None and can(
                principal, Action.EDIT_CONTENT, publication.workspace
            )
        return selectors.publication_allowed_actions(
            publication, principal, may_edit=cache[publication.workspace_id]
        )


class AttemptSerializer(serializers.ModelSerializer[PublishAttempt]):
    class Meta:
        model = PublishAttempt
        fields = [
            "number",
            "task_id",
            "started_at",
            "duration_ms",
            "http_status",
            "outcome",
            "error",
            "external_id",
        ]
        read_only_fields = fields


class PublicationDetailSerializer(PublicationSerializer):
    attempt_rows = AttemptSerializer(many=True, read_only=True)

    class Meta(PublicationSerializer.Meta):
        fields = [*PublicationSerializer.Meta.fields, "attempt_rows"]
        read_only_fields = fields


RESOLVE_OUTCOMES = [
    ("published", "It is on the network"),
    ("not_published", "It is not on the network: mark it failed"),
    ("retry", "It is not on the network: send it again now"),
]


class ResolveSerializer(StrictSerializer):
    outcome = named_choice("ResolveOutcome", RESOLVE_OUTCOMES)
    url = serializers.URLField(
        required=False, allow_blank=True, max_length=1000, help_text="published"
    )
    external_id = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="published"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["outcome"] != "published":
            extra = [k for k in ("url", "external_id") if attrs.get(k)]
            if extra:
                raise serializers.ValidationError(
                    {k: ["Only with outcome published."] for k in extra}
                )
        return attrs


class PublicationFilter(filters.FilterSet):  # type: ignore[misc]  # untyped base
    workspace = WorkspaceFilter()
    post = IdFilter(field_name="post_id")
    account = IdFilter(field_name="account_id")
    status = filters.MultipleChoiceFilter(
        choices=PS.choices, help_text="Repeat for several: ?status=failed&status=…"
    )
    network = filters.ChoiceFilter(choices=Network.choices)
    due_after = filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="gte", help_text="ISO 8601 with an offset."
    )
    due_before = filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="lt", help_text="ISO 8601 with an offset."
    )

    class Meta:
        model = Publication
        fields = ["workspace", "post", "account", "status", "network"]


CONFLICT_409 = OpenApiResponse(
    ErrorResponseSerializer,
    description="The publication is not in a state this action starts from; "
    "`allowed` lists the actions possible now.",
    examples=[
        OpenApiExample(
            "Wrong state",
            value={
                "error": {
                    "code": "transition_not_allowed",
                    "message": "A publication that is published cannot be canceled.",
                    "fields": {},
                    "status": "published",
                    "allowed": [],
                }
            },
        )
    ],
)


def _act(name: str, summary: str, description: str) -> Any:
    """A `POST /publications/{id}/<name>/` action calling one service."""
    body = ResolveSerializer if name == "resolve" else None

    def view(self: PublicationViewSet, request: Request, pk: str) -> Response:
        publication = self.get_object()
        by = self.principal()
        try:
            fields: dict[str, Any] = {}
            if name == "resolve":
                data = ResolveSerializer(data=request.data)
                data.is_valid(raise_exception=True)
                fields = dict(data.validated_data)
            services.publication_act(
                name=name, publication=publication, by=by, **fields
            )
        except ConflictError as exc:
            fresh = self.get_queryset().get(pk=publication.pk)
            raise ConflictError(
                str(exc),
                code=exc.code,
                **{
                    **exc.extra,
                    "status": fresh.status,
                    "allowed": selectors.publication_allowed_actions(fresh, by),
                },
            ) from None
        fresh = self.get_queryset().get(pk=publication.pk)
        return Response(
            PublicationDetailSerializer(fresh, context={"request": request}).data
        )

    view.__name__ = name.replace("-", "_")
    return extend_schema(
        summary=summary,
        description=description,
        request=body,
        responses={
            200: PublicationDetailSerializer,
            409: CONFLICT_409,
            **errors(400, 403, 404),
        },
        examples=[
            OpenApiExample(
                "It is there",
                value={"outcome": "published", "url": "https://mastodon.social/@a/1"},
                request_only=True,
            )
        ]
        if body
        else [],
    )(action(detail=True, methods=["post"], url_path=name)(view))


@extend_schema(tags=["publications"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List publications",
        description="One row per post and channel account, ordered by due time. "
        "Filters combine.",
        responses={200: PublicationSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a publication",
        description="With every attempt: when, how long, the HTTP status and the "
        "error the network gave.",
        responses={200: PublicationDetailSerializer, **errors(404)},
    ),
)
class PublicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PublicationSerializer
    filterset_class = PublicationFilter
    queryset = Publication.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "publish_now": Action.EDIT_CONTENT,
        "retry": Action.EDIT_CONTENT,
        "cancel": Action.EDIT_CONTENT,
        "resolve": Action.EDIT_CONTENT,
        "approve": Action.APPROVE,
    }

    def get_queryset(self) -> QuerySet[Publication]:
        rows = selectors.publications_visible(self.principal()).select_related(
            "workspace"
        )
        if self.action != "list":
            rows = rows.prefetch_related("attempt_rows")
        return rows.order_by("due_at", "pk")

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        if self.action == "list":
            return PublicationSerializer
        return PublicationDetailSerializer

    publish_now = _act(
        "publish-now",
        "Publish now",
        "scheduled → due now: the dispatcher claims it at its next tick. Only "
        "this publication: the post's time and its other publications keep theirs.",
    )
    retry = _act(
        "retry",
        "Retry",
        "failed → scheduled, now, with the same idempotency key. 409 "
        "`not_retryable` (with `fix`: edit or reconnect) when a retry cannot fix "
        "the failure: copy over a limit, no credentials, credentials revoked.",
    )
    cancel = _act(
        "cancel",
        "Cancel",
        "scheduled, queued (not yet with a worker) or needs_review → canceled.",
    )
    approve = _act(
        "approve",
        "Approve the edited copy",
        "needs_review → scheduled: the copy, edited after the post started "
        "publishing, is approved and this publication alone goes out (at its "
        "time, or now when that passed). Reviewers, clients, admins and owners; "
        "not the person who edited it. 403 otherwise.",
    )
    resolve = _act(
        "resolve",
        "Resolve an unknown outcome",
        "unconfirmed → published (optionally with its URL and id), failed "
        "(`not_published`) or scheduled again (`retry`), after a person checked "
        "the network.",
    )
