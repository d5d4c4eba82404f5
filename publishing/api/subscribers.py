"""The subscriber list of an email newsletter channel:
`/api/v1/channels/{id}/subscribers/` (list, add with double opt-in) and
`…/subscribers/{subscriber_id}/` (unsubscribe). The rules live in
`publishing.newsletter`; `ChannelSubscriberViewSet` (channel_subscribers.py)
serves them under the channels' routes.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from connections.api.channel_accounts import named_choice
from connections.models import ChannelAccount
from core.api.common import StrictSerializer
from core.api.docs import errors
from publishing import newsletter
from publishing.models import Subscriber, SubscriberStatus
from workspaces.api.base import ApiViewSet


class SubscriberSerializer(serializers.ModelSerializer[Subscriber]):
    status = named_choice("SubscriberStatus", SubscriberStatus.choices, read_only=True)

    class Meta:
        model = Subscriber
        fields = [
            "id",
            "email",
            "status",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
        ]
        read_only_fields = fields


class SubscriberCreateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class SubscriberActions(ApiViewSet):
    """The subscriber actions of a channel viewset (its queryset scopes them)."""

    def _unfiltered(self, pk: str) -> ChannelAccount:
        """The account by id, without the list's filters: the subscriber
        endpoints' `status` and `search` are about subscribers, not channels."""
        account: ChannelAccount = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, account)
        return account

    @extend_schema(
        methods=["GET"],
        summary="A newsletter's subscribers",
        description="Newest first; filter with `status` and `search` (part of "
        "the address). Addresses are personal data: only keys and people who may "
        "manage channels see them (403 otherwise). 400 for a channel that is not "
        "an email newsletter.",
        parameters=[
            OpenApiParameter("status", str, enum=SubscriberStatus.values),
            OpenApiParameter("search", str),
        ],
        responses={200: SubscriberSerializer(many=True), **errors(400, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a subscriber (double opt-in)",
        description="The address is `pending` and receives a confirmation link "
        "through the newsletter's own SMTP server; nothing else is sent to it "
        "before its owner confirms. Adding a confirmed address changes nothing "
        "(200); a new or returning one answers 201.",
        request=SubscriberCreateSerializer,
        responses={
            200: SubscriberSerializer,
            201: SubscriberSerializer,
            **errors(400, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Add", value={"email": "reader@example.com"}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["get", "post"])
    def subscribers(self, request: Request, pk: str) -> Response:
        account = self._unfiltered(pk)
        if request.method == "GET":
            rows = newsletter.subscribers_for(
                account,
                by=self.principal(),
                status=request.query_params.get("status", ""),
                search=request.query_params.get("search", ""),
            )
            page = self.paginate_queryset(rows)
            data = SubscriberSerializer(page, many=True).data
            return self.get_paginated_response(data)
        given = SubscriberCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        subscriber = newsletter.subscriber_add(
            account=account, email=given.validated_data["email"], by=self.principal()
        )
        # Adding leaves a confirmed address as it is and makes any other pending.
        confirmed = subscriber.status == SubscriberStatus.CONFIRMED
        code = status.HTTP_200_OK if confirmed else status.HTTP_201_CREATED
        return Response(SubscriberSerializer(subscriber).data, status=code)

    @extend_schema(
        summary="Unsubscribe a subscriber",
        description="On the owner's request: the address stops receiving the "
        "newsletter at once and the row stays (so it is never mailed again by "
        "mistake). Idempotent.",
        request=None,
        responses={200: SubscriberSerializer, **errors(403, 404)},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"subscribers/(?P<subscriber_id>\d+)",
        url_name="subscriber",
    )
    def subscriber(self, request: Request, pk: str, subscriber_id: str) -> Response:
        account = self._unfiltered(pk)
        subscriber = get_object_or_404(
            Subscriber.objects.filter(account=account), pk=subscriber_id
        )
        subscriber = newsletter.subscriber_remove(
            subscriber=subscriber, by=self.principal()
        )
        return Response(SubscriberSerializer(subscriber).data)
