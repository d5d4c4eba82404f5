"""Serializers and filters of `/api/v1/posts/` (the views are in `posts.py`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from rest_framework import serializers

from campaigns import lifecycle
from campaigns.models import (
    Campaign,
    Pillar,
    Post,
    PostComment,
    PostStatus,
    PostStatusChange,
)
from campaigns.terms import MAX_NAME, MAX_TERMS
from connections.api.channel_accounts import VisibleField, named_choice
from connections.models import ChannelAccount
from content.models import Asset
from core.api.common import ModelSerializer, StrictSerializer
from core.api.filters import IdFilter
from core.timezones import to_local
from workspaces.api.workspace_refs import WorkspaceFilter

NAIVE = "Give the time with its UTC offset, e.g. 2026-03-02T09:00:00+01:00."


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must say its offset: "09:00" alone is ambiguous."""

    default_error_messages = {"naive": NAIVE}

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class PostPublicationSerializer(serializers.Serializer[Any]):
    """One channel account's publication of the post, in brief (the whole row,
    its attempts and actions: `/api/v1/publications/{id}/`)."""

    id = serializers.IntegerField(read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    network = serializers.CharField(read_only=True)
    status = serializers.CharField(
        read_only=True,
        help_text="scheduled, queued, publishing, published, failed, "
        "unconfirmed, canceled or needs_review (its copy waits for a review).",
    )
    due_at = serializers.DateTimeField(read_only=True)
    due_override = serializers.BooleanField(
        read_only=True, help_text="Its own time (published now, retried, released)."
    )
    url = serializers.CharField(read_only=True)


class PostSerializer(ModelSerializer):
    scheduled_local = serializers.SerializerMethodField(
        help_text="`scheduled_at` in the campaign's time zone, with its offset."
    )
    time_zone = serializers.CharField(source="campaign.time_zone", read_only=True)
    status = named_choice("PostStatus", PostStatus.choices, read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="The moves the caller may make now (POST /posts/{id}/<move>/)."
    )
    tags = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        read_only=True,
        help_text="Blog tags (WordPress); null: the hashtags of the copy.",
    )
    categories = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        read_only=True,
        help_text="Blog categories (WordPress); null: the post's pillar.",
    )
    publications = PostPublicationSerializer(
        many=True,
        read_only=True,
        help_text="Each channel account's publication and its own state (a "
        "partly published post says which went out).",
    )

    class Meta:
        model = Post
        fields = [
            "id",
            "workspace",
            "campaign",
            "pillar",
            "topic",
            "angle",
            "body",
            "link",
            "tags",
            "categories",
            "image",
            "scheduled_at",
            "scheduled_local",
            "time_zone",
            "accounts",
            "status",
            "allowed_actions",
            "publications",
            "owner",
            "notes",
            "origin",
            "plan_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_scheduled_local(self, post: Post) -> str | None:
        if post.scheduled_at is None:
            return None
        return to_local(post.scheduled_at, post.campaign.time_zone).isoformat()

    def get_allowed_actions(self, post: Post) -> list[str]:
        return lifecycle.allowed_actions(post, self.context["request"].user)


class PostUpdateSerializer(StrictSerializer):
    topic = serializers.CharField(max_length=300, required=False)
    angle = serializers.CharField(max_length=300, allow_blank=True, required=False)
    body = serializers.CharField(allow_blank=True, required=False)
    link = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    scheduled_at = OffsetDateTimeField(allow_null=True, required=False)
    accounts = VisibleField(
        ChannelAccount,
        many=True,
        required=False,
        label_text="channel account",
        help_text="Channel account ids; each must be a channel of the post's "
        "campaign (or be listed in `add_to_campaign`). Omitted on create: the "
        "campaign's channels.",
    )
    add_to_campaign = VisibleField(
        ChannelAccount,
        many=True,
        required=False,
        label_text="channel account",
        help_text="Accounts of the workspace to add to the campaign's channels "
        "(1 post a week) in the same save; the post targets them too. Needs "
        "edit_content.",
    )
    pillar = VisibleField(
        Pillar,
        workspace_path="campaign__workspace",
        allow_null=True,
        required=False,
        label_text="pillar",
    )
    image = VisibleField(Asset, allow_null=True, required=False, label_text="image")
    notes = serializers.CharField(allow_blank=True, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        allow_null=True,
        required=False,
        help_text="Blog tags (WordPress), by name; created on the blog when "
        f"missing. null: the hashtags of the copy. At most {MAX_TERMS}, each "
        f"{MAX_NAME} characters at most.",
    )
    categories = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        allow_null=True,
        required=False,
        help_text="Blog categories (WordPress), by name. null: the post's "
        f"pillar. At most {MAX_TERMS}, each {MAX_NAME} characters at most.",
    )


class PostCreateSerializer(PostUpdateSerializer):
    campaign = VisibleField(Campaign, label_text="campaign")
    topic = serializers.CharField(max_length=300)


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why; the author reads it in the history."
    )


class CommentSerializer(serializers.ModelSerializer[PostComment]):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = PostComment
        fields = ["id", "post", "author", "author_key", "author_name", "body"]
        fields += ["created_at"]
        read_only_fields = fields

    def get_author_name(self, comment: PostComment) -> str:
        if comment.author is not None:
            return comment.author.display_name
        if comment.author_key is not None:
            return f"API key {comment.author_key.name}"
        return ""


class CommentCreateSerializer(StrictSerializer):
    body = serializers.CharField(max_length=5000)


class HistorySerializer(serializers.ModelSerializer[PostStatusChange]):
    from_status = named_choice(
        "PostStatusOrNone",
        [("", "(none: created)"), *PostStatus.choices],
        read_only=True,
    )
    to_status = named_choice("PostStatus", PostStatus.choices, read_only=True)
    actor_token = serializers.CharField(
        source="actor_token.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The name of the personal access token `actor` used (null: "
        "the web UI, or no person).",
    )

    class Meta:
        model = PostStatusChange
        fields = ["id", "from_status", "to_status", "action", "actor", "actor_key"]
        fields += ["actor_token", "actor_label", "reason", "at"]
        read_only_fields = fields


class PostFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    campaign = IdFilter(field_name="campaign_id")
    pillar = IdFilter(field_name="pillar_id")
    channel = IdFilter(field_name="accounts", help_text="A channel account id.")
    status = filters.CharFilter(
        method="filter_status", help_text="One status or several: draft,in_review."
    )
    scheduled_after = filters.CharFilter(
        method="filter_after", help_text="ISO 8601 with offset; inclusive."
    )
    scheduled_before = filters.CharFilter(
        method="filter_before", help_text="ISO 8601 with offset; exclusive."
    )

    class Meta:
        model = Post
        fields = ["workspace", "campaign", "pillar", "channel", "status"]

    def filter_status(
        self, queryset: QuerySet[Post], name: str, value: str
    ) -> QuerySet[Post]:
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [v for v in wanted if v not in PostStatus.values]
        if unknown:
            raise serializers.ValidationError(
                {"status": [f"Unknown status {', '.join(unknown)}."]}
            )
        return queryset.filter(status__in=wanted)

    def _time(self, name: str, value: str) -> Any:
        return OffsetDateTimeField().run_validation(value)

    def filter_after(
        self, queryset: QuerySet[Post], name: str, value: str
    ) -> QuerySet[Post]:
        try:
            return queryset.filter(scheduled_at__gte=self._time(name, value))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({name: exc.detail}) from exc

    def filter_before(
        self, queryset: QuerySet[Post], name: str, value: str
    ) -> QuerySet[Post]:
        try:
            return queryset.filter(scheduled_at__lt=self._time(name, value))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({name: exc.detail}) from exc
