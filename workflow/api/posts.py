"""`/api/v1/posts/`: the calendar's posts, their lifecycle moves, review threads,
history and the CSV import.

Times go out in ISO 8601 with an offset (UTC) and as `scheduled_local` in the
campaign's zone; times coming in must carry an offset (a naive time is a 400,
never silently read as UTC). Each post says which moves its caller may make now
(`allowed_actions`); a move from the wrong state answers 409 with `allowed`.
The rules live in `campaigns.services.posts`, `campaigns.lifecycle` and
`campaigns.services.imports`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
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

from campaigns import lifecycle, selectors, services
from campaigns.models import (
    Post,
)
from core.api.docs import RETRY_AFTER, ErrorResponseSerializer, errors
from publishing.models import Publication
from workflow import review as review_service
from workflow.api.post_serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    HistorySerializer,
    PostCreateSerializer,
    PostFilter,
    PostSerializer,
    PostUpdateSerializer,
    ReasonSerializer,
    RejectSerializer,
)
from workflow.api.review import ApproveSerializer, ReviewSerializer
from workspaces.api.base import ApiViewSet
from workspaces.permissions import Action

POST_EXAMPLE = {
    "campaign": 7,
    "topic": "Why we roast light",
    "angle": "Myth-busting: light roast is not weak",
    "link": "https://contoso.example/blog/light-roast",
    "scheduled_at": "2026-03-02T09:00:00+01:00",
    "accounts": [5, 6],
    "pillar": 2,
}
CONFLICT_409 = OpenApiResponse(
    ErrorResponseSerializer,
    description="The post is not in a state this move starts from (`allowed` "
    "lists the moves possible now), or a precondition is missing (`not_ready`: "
    "no time, a past time, no accounts).",
    examples=[
        OpenApiExample(
            "Wrong state",
            value={
                "error": {
                    "code": "transition_not_allowed",
                    "message": "A post that is draft cannot be moved with "
                    "'approve'. Allowed now: submit, cancel.",
                    "fields": {},
                    "status": "draft",
                    "allowed": ["submit", "cancel"],
                }
            },
        )
    ],
)


def _move(name: str, summary: str, description: str) -> Any:
    """A `POST /posts/{id}/<name>/` action making the lifecycle move `name`."""
    body = {"reject": RejectSerializer, "approve": ApproveSerializer}.get(
        name, ReasonSerializer
    )

    def view(self: PostViewSet, request: Request, pk: str) -> Response:
        post = self.get_object()
        # Who may not make the move gets 403 whatever the body or the state.
        lifecycle.check_permission(post, name, by=self.principal())
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "")
        if name == "approve":  # exactly what the reviewer saw, when they say so
            post = review_service.approve_reviewed(
                post=post,
                by=self.principal(),
                fingerprint=data.validated_data.get("fingerprint"),
                reason=reason,
            )
        else:
            post = lifecycle.transition(post, name, by=self.principal(), reason=reason)
        return Response(self.get_serializer(post).data)

    view.__name__ = name
    return extend_schema(
        summary=summary,
        description=description,
        request=body,
        responses={200: PostSerializer, 409: CONFLICT_409, **errors(400, 403, 404)},
        examples=[
            OpenApiExample(
                "With a reason",
                value={"reason": "The headline promises too much."},
                request_only=True,
            )
        ]
        if name == "reject"
        else [],
    )(action(detail=True, methods=["post"])(view))


@extend_schema(tags=["posts"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List posts",
        description="Ordered by time (unscheduled last). Filters combine.",
        responses={200: PostSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a post",
        description="`scheduled_at` is UTC; `scheduled_local` is the same instant "
        "in the campaign's zone; `allowed_actions` lists the moves the caller "
        "may make now.",
        responses={200: PostSerializer, **errors(404)},
    ),
)
class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.EDIT_CONTENT
    serializer_class = PostSerializer
    filterset_class = PostFilter
    queryset = Post.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "partial_update": Action.EDIT_CONTENT,
        "destroy": Action.EDIT_CONTENT,
    }

    def get_queryset(self) -> QuerySet[Post]:
        return selectors.posts_visible(self.principal()).prefetch_related(
            Prefetch(
                "publications",
                Publication.objects.select_related("account").order_by(
                    "account__name", "pk"
                ),
            )
        )

    def _answer(self, post: Post, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=post.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        summary="Create a post",
        description="A draft on the calendar. Without `accounts` it goes to "
        "every channel of its campaign. An account that is not a channel of the "
        "campaign is a 400 on `accounts` unless it is listed in "
        "`add_to_campaign`, which adds it to the campaign's channels in the same "
        "save. Needs edit_content.",
        request=PostCreateSerializer,
        responses={201: PostSerializer, **errors(400, 403, 413, 415)},
        examples=[OpenApiExample("A post", value=POST_EXAMPLE, request_only=True)],
    )
    def create(self, request: Request) -> Response:
        data = PostCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        post = services.posts.post_create(
            campaign=fields.pop("campaign"),
            by=self.principal(),
            data=fields,
            origin="api",
        )
        return self._answer(post, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a post",
        description="Changing the content of an approved or scheduled post "
        "sends it back to review when the workspace requires approval; moving "
        "it in time keeps the approval. Published and canceled posts answer 409.",
        request=PostUpdateSerializer,
        responses={200: PostSerializer, **errors(400, 403, 404, 409, 413, 415)},
        examples=[
            OpenApiExample(
                "Move it",
                value={"scheduled_at": "2026-03-03T11:30:00+01:00"},
                request_only=True,
            ),
            OpenApiExample(
                "Also post to an account the campaign does not have yet",
                value={"add_to_campaign": [6]},
                request_only=True,
            ),
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        post = self.get_object()
        data = PostUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        post = services.posts.post_update(
            post=post, by=self.principal(), data=dict(data.validated_data)
        )
        return self._answer(post)

    @extend_schema(
        summary="Delete a post",
        description="Drafts, rejected and canceled posts only (else 409 "
        "`not_deletable`: cancel it first).",
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.posts.post_delete(post=self.get_object(), by=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)

    submit = _move(
        "submit", "Submit for review", "draft or rejected → in_review. edit_content."
    )
    approve = _move(
        "approve",
        "Approve",
        "in_review → approved. A reviewer, admin, owner or client; not the person "
        "who submitted it, and never an API key (403: a person must approve). "
        "With the `fingerprint` of "
        "`GET /posts/{id}/review/`, only what that showed is approved: 409 "
        "`review_stale` when the copy changed since.",
    )
    reject = _move(
        "reject",
        "Reject",
        "in_review or approved → rejected, with a required `reason`. Same people "
        "as approve.",
    )
    schedule = _move(
        "schedule",
        "Schedule",
        "approved (or draft, when the workspace does not require approval) → "
        "scheduled. Needs a future time and at least one account (409 "
        "`not_ready`).",
    )
    unschedule = _move(
        "unschedule",
        "Unschedule",
        "scheduled → approved; → draft when it was scheduled without a review "
        "(a workspace that does not require approval).",
    )
    cancel = _move(
        "cancel", "Cancel", "Any state that has not reached the network → canceled."
    )
    restore = _move("restore", "Restore", "canceled → draft.")
    reopen = _move("reopen", "Back to draft", "rejected → draft.")
    retry = _move("retry", "Retry publishing", "failed → scheduled.")

    @extend_schema(
        summary="A post's review thread",
        description="Every comment, oldest first, with its author (a person or "
        "an API key's name).",
        methods=["GET"],
        request=None,
        responses={200: CommentSerializer(many=True), **errors(404)},
    )
    @extend_schema(
        summary="Comment on a post",
        methods=["POST"],
        description="Everyone who can see the workspace except a read key.",
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **errors(400, 403, 404, 413, 415)},
        examples=[
            OpenApiExample(
                "A remark",
                value={"body": "Can we lead with the price?"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request: Request, pk: str) -> Response:
        post = self.get_object()
        if request.method == "GET":
            rows = selectors.post_comments(post)
            return Response(CommentSerializer(rows, many=True).data)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.posts.comment_create(
            post=post, by=self.principal(), body=data.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="What a reviewer approves",
        description="Per channel account: the text parts as sent (a thread's "
        "parts, the link where the network adds it), the images, the link and "
        "how it goes out, and what the brand-safety gate and channel rules "
        "found; the post's objections to approval; and the `fingerprint` to "
        "send with approve.",
        request=None,
        responses={200: ReviewSerializer, **errors(404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def review(self, request: Request, pk: str) -> Response:
        post = review_service.review_posts([self.get_object()])[0]
        card = review_service.review_card(post)
        return Response(ReviewSerializer(card).data)

    @extend_schema(
        summary="A post's status history",
        description="Every move: who (a person, a key or a system part), when, "
        "from, to and why. Oldest first.",
        request=None,
        responses={200: HistorySerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: str) -> Response:
        rows = selectors.post_history(self.get_object())
        return Response(HistorySerializer(rows, many=True).data)
