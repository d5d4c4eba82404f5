"""`/api/v1/assets/` (the media library) and `POST /api/v1/posts/{id}/images/`
(generate images for a post → a job).

Uploads are multipart (`file`, `workspace`, optional `alt_text` and `tags`);
they are checked by content, so a refused upload answers 400 with the check's
own code (`not_image`, `too_large`, `too_many_pixels`, `animated`,
`truncated`, `unsupported_format`, `empty`) and keeps nothing. The same file
again in a workspace answers 200 with the asset it already is. Generating is a
`campaigns.Job` followed at `/api/v1/jobs/{id}/`; its `result.assets` lists the
assets made. Every queryset is scoped to the caller's workspaces (another
tenant's asset is a 404); every write goes through `content.services`.

Shapes are in `content.api.asset_serializers`, examples and documented
responses in `content.api.asset_docs`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import selectors
from campaigns.api.jobs import JobSerializer
from campaigns.models import Post
from content import services
from content.api.asset_docs import (
    ASSET_EXAMPLE,
    IMAGES_SCHEMA,
    LIST_PARAMETERS,
    UPLOAD_SCHEMA,
)
from content.api.asset_serializers import (
    AssetDetailSerializer,
    AssetSerializer,
    AssetUpdateSerializer,
    AssetUploadSerializer,
    AttachSerializer,
    DetachSerializer,
    ImageGenerateSerializer,
)
from content.models import Asset
from content.uploads import UploadRejected
from core.api.common import error_response
from core.api.docs import RETRY_AFTER, errors
from core.counters import Throttled
from workspaces.api.base import ApiViewSet, JSONParser
from workspaces.api.workspace_refs import find_workspace
from workspaces.permissions import Action, visible_workspaces


@extend_schema(tags=["media library"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List and search assets",
        description="Newest first, in every visible workspace; filters combine.",
        parameters=LIST_PARAMETERS,
        responses={200: AssetSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get an asset with its renditions, usage and provenance",
        description="`renditions` are the cuts per network and format (generic "
        "ones have an empty `network`); `usage` the posts that use it; "
        "`provenance` how it was made.",
        responses={200: AssetDetailSerializer, **errors(404)},
        examples=[OpenApiExample("A generated image", value=ASSET_EXAMPLE)],
    ),
)
class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.EDIT_CONTENT
    serializer_class = AssetSerializer
    queryset = Asset.objects.none()  # schema only; see get_queryset
    parser_classes = [JSONParser, parsers.MultiPartParser, parsers.FormParser]

    action_permissions = {
        "partial_update": Action.EDIT_CONTENT,
        "destroy": Action.EDIT_CONTENT,
        "attach": Action.EDIT_CONTENT,
        "detach": Action.EDIT_CONTENT,
    }

    def get_queryset(self) -> QuerySet[Asset]:
        params = self.request.query_params
        workspace = params.get("workspace")
        qs = services.asset_search(
            principal=self.principal(),
            tag=params.get("tag") or None,
            source=params.get("source") or None,
            query=params.get("search") or None,
            ai_generated=_boolean(params.get("ai_generated")),
        )
        if workspace:
            found = find_workspace(workspace, visible_workspaces(self.principal()))
            qs = qs.filter(workspace=found) if found else qs.none()
        return qs

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        return AssetDetailSerializer if self.action == "retrieve" else AssetSerializer

    @UPLOAD_SCHEMA
    def create(self, request: Request) -> Response:
        data = AssetUploadSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        upload = fields["file"]
        try:
            asset, created = services.asset_upload(
                workspace=fields["workspace"],
                by=self.principal(),
                file=upload,
                filename=upload.name or "upload",
                alt_text=fields["alt_text"],
                tags=fields["tags"],
            )
        except UploadRejected as exc:
            return error_response(
                exc.code,
                exc.message,
                status.HTTP_400_BAD_REQUEST,
                {"file": [exc.message]},
            )
        except Throttled as exc:
            return error_response(
                exc.code,
                exc.message,
                status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        body = AssetDetailSerializer(asset, context={"request": request}).data
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(body, status=code)

    @extend_schema(
        summary="Change an asset's alt text or tags",
        description="`tags` replace the asset's tags whole. Needs edit_content.",
        request=AssetUpdateSerializer,
        responses={200: AssetDetailSerializer, **errors(400, 403, 404, 413, 415)},
        examples=[
            OpenApiExample(
                "New alt text and tags",
                value={"alt_text": "A latte on oak", "tags": ["autumn", "drinks"]},
                request_only=True,
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        asset = self.get_object()
        data = AssetUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        asset = services.asset_update(
            asset=asset,
            by=self.principal(),
            alt_text=data.validated_data.get("alt_text"),
            tags=data.validated_data.get("tags"),
        )
        return Response(AssetDetailSerializer(asset, context={"request": request}).data)

    @extend_schema(
        summary="Delete an asset",
        description="With its renditions and files. 409 `asset_in_use` (with "
        "`posts`) while a scheduled, publishing or published post uses it. "
        "Needs edit_content.",
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.asset_delete(asset=self.get_object(), by=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Put an asset on a post",
        description="Adds it to the post's gallery (`chosen`: goes out with the "
        "post) or updates `chosen`/`position` when it is there. The post must be "
        "in the asset's workspace and still editable (409 `not_editable`). "
        "Needs edit_content.",
        request=AttachSerializer,
        responses={200: AssetDetailSerializer, **errors(400, 403, 404, 409, 413, 415)},
        examples=[
            OpenApiExample(
                "Chosen for post 7",
                value={"post": 7, "chosen": True},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def attach(self, request: Request, pk: str) -> Response:
        asset = self.get_object()
        data = AttachSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.asset_attach(
            asset=asset, by=self.principal(), **dict(data.validated_data)
        )
        return Response(AssetDetailSerializer(asset, context={"request": request}).data)

    @extend_schema(
        summary="Take an asset off a post",
        description="Removes it from the post's gallery (nothing happens when it "
        "is not there). Needs edit_content.",
        request=DetachSerializer,
        responses={200: AssetDetailSerializer, **errors(400, 403, 404, 409, 413, 415)},
        examples=[OpenApiExample("Off post 7", value={"post": 7}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def detach(self, request: Request, pk: str) -> Response:
        asset = self.get_object()
        data = DetachSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.asset_detach(
            asset=asset, post=data.validated_data["post"], by=self.principal()
        )
        return Response(AssetDetailSerializer(asset, context={"request": request}).data)


def _boolean(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


@extend_schema(tags=["media library"], parameters=[RETRY_AFTER])
class PostImagesViewSet(ApiViewSet):
    """Only the `images` action on posts (the rest of a post is in
    `workflow.api.posts`)."""

    serializer_class = JobSerializer
    queryset = Post.objects.none()  # schema only; see get_queryset

    action_permissions = {"images": Action.EDIT_CONTENT}

    def get_queryset(self) -> QuerySet[Post]:
        return selectors.posts_visible(self.principal())

    @IMAGES_SCHEMA
    @action(detail=True, methods=["post"])
    def images(self, request: Request, pk: str) -> Response:
        post = self.get_object()
        data = ImageGenerateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        job = services.image_generation_request(
            post=post,
            by=self.principal(),
            variant=fields.get("variant"),
            prompt=fields.get("prompt"),
            count=fields["count"],
            width=fields["width"],
            height=fields["height"],
            seed=fields.get("seed"),
            provider=fields.get("provider"),
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
