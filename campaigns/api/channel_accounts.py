"""`/api/v1/channel-accounts/`: the accounts a workspace publishes to, read-only.

Clients read this list to find the account ids that campaigns (`channels`) and
posts (`accounts`) refer to. Connecting, testing and disconnecting accounts
is `/api/v1/channels/` (`channels.api.accounts`).

`VisibleField` lives here too: the id field every editorial input uses, which
resolves an id only among the caller's workspaces.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers

from campaigns.api.base import ApiViewSet
from campaigns.api.docs import RETRY_AFTER, errors
from campaigns.api.workspace_refs import WorkspaceFilter
from campaigns.permissions import visible_workspaces
from channels.models import AccountStatus, ChannelAccount, Network


@extend_schema_field(OpenApiTypes.INT)
class VisibleField(serializers.PrimaryKeyRelatedField):
    """An id of `model`, resolved only in the workspaces the caller can see.

    Someone else's id reads exactly like one that does not exist ("No such …"),
    so the answer reveals nothing. Whether the object belongs to the *same*
    workspace as the rest of the request is the service's check.
    """

    def __init__(
        self, model: type[Model], workspace_path: str = "workspace", **kw: Any
    ):
        self.model, self.workspace_path = model, workspace_path
        label = kw.pop("label_text", model._meta.verbose_name)
        kw.setdefault(
            "error_messages",
            {
                "does_not_exist": f"No such {label}.",
                "incorrect_type": f"Give a {label} id (a number).",
            },
        )
        super().__init__(**kw)

    def get_queryset(self) -> QuerySet[Any]:
        principal = self.context["request"].user
        return self.model._default_manager.filter(
            **{f"{self.workspace_path}__in": visible_workspaces(principal)}
        )


_CHOICE_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def named_choice(
    name: str, choices: list[tuple[str, str]], **kw: Any
) -> serializers.ChoiceField:
    """A choice field whose enum is the schema component `name`.

    Several models have a `status` with different values; drf-spectacular
    would name them all after the field and warn about the collision (and the
    schema check fails on warnings). One class per name: the schema registry
    tells components apart by class.
    """
    if name not in _CHOICE_FIELDS:
        values = [value for value, _ in choices]
        _CHOICE_FIELDS[name] = extend_schema_field(
            {"type": "string", "enum": values}, component_name=name
        )(type(f"{name}Field", (serializers.ChoiceField,), {}))
    return _CHOICE_FIELDS[name](choices=choices, **kw)


class ChannelAccountSerializer(serializers.ModelSerializer):
    status = named_choice("ChannelAccountStatus", AccountStatus.choices, read_only=True)

    class Meta:
        model = ChannelAccount
        fields = ["id", "workspace", "network", "name", "handle", "status"]
        read_only_fields = fields


class ChannelAccountFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    network = filters.ChoiceFilter(choices=Network.choices)
    status = filters.ChoiceFilter(choices=AccountStatus.choices)

    class Meta:
        model = ChannelAccount
        fields = ["workspace", "network", "status"]


@extend_schema(tags=["channel accounts"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List channel accounts",
        description="The accounts of every visible workspace; their ids go into "
        "a campaign's `channels` and a post's `accounts`.",
        responses={200: ChannelAccountSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a channel account",
        description="One account: its network, display name, handle and "
        "connection status. Credentials are never returned.",
        responses={200: ChannelAccountSerializer, **errors(404)},
    ),
)
class ChannelAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    serializer_class = ChannelAccountSerializer
    filterset_class = ChannelAccountFilter
    queryset = ChannelAccount.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[ChannelAccount]:
        return ChannelAccount.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("workspace_id", "network", "name", "pk")
