"""The approval card over the API: `GET /posts/{id}/review/` and the
`fingerprint` an approve may carry (`workflow.review`)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from workflow.api.post_serializers import ReasonSerializer
from workflow.review import ChannelCard


class ApproveSerializer(ReasonSerializer):
    fingerprint = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        help_text="The `fingerprint` of `GET /posts/{id}/review/` that the "
        "reviewer saw. When given and the copy, images, link, time or "
        "accounts changed since, nothing is approved (409 `review_stale`).",
    )


class _ImageSerializer(serializers.Serializer[Any]):
    asset = serializers.IntegerField(source="asset_id")
    thumbnail_url = serializers.CharField(source="thumb_url")
    url = serializers.CharField(source="full_url")
    alt_text = serializers.CharField()


class _LinkSerializer(serializers.Serializer[Any]):
    url = serializers.CharField()
    domain = serializers.CharField()
    title = serializers.CharField()
    mode = serializers.ChoiceField(
        choices=["in_text", "card", "field", "not_sent"],
        help_text="in_text: added to (or already in) the text; card: a preview "
        "card; field: a field beside the text (webhook); not_sent: this network "
        "gets only the text.",
    )


class ReviewChannelSerializer(serializers.Serializer[Any]):
    account = serializers.IntegerField(source="account.pk")
    account_name = serializers.CharField(source="account.name")
    network = serializers.CharField(source="account.network")
    planning_only = serializers.BooleanField(
        help_text="The account has no credentials: nothing is sent to it."
    )
    variant = serializers.SerializerMethodField()
    parts = serializers.ListField(
        child=serializers.CharField(),
        source="out.parts",
        help_text="The texts sent, in order: one, or a thread's parts.",
    )
    measures = serializers.SerializerMethodField(
        help_text="Each part's length against the account's limit, and whether "
        "it is over."
    )
    title = serializers.CharField(source="out.title")
    link = _LinkSerializer(source="out.link", allow_null=True)
    images = _ImageSerializer(source="out.images", many=True)
    notes = serializers.ListField(child=serializers.CharField(), source="out.notes")
    tags = serializers.ListField(
        child=serializers.CharField(),
        source="out.tags",
        help_text="Blog tags sent (WordPress); empty elsewhere.",
    )
    categories = serializers.ListField(
        child=serializers.CharField(),
        source="out.categories",
        help_text="Blog categories sent (WordPress); empty elsewhere.",
    )
    findings = serializers.SerializerMethodField(
        help_text="What the checks found on this account's copy: `kind` 'limit' "
        "(the network would refuse it; `blocking`) or 'gate' (brand safety; an "
        "owner or admin may approve despite it)."
    )
    gate_overridden = serializers.BooleanField(source="checks.gate_overridden")

    def get_measures(self, card: ChannelCard) -> list[dict[str, Any]]:
        return [{"text": m.text, "over": m.over} for m in card.checks.measures]

    def get_findings(self, card: ChannelCard) -> list[dict[str, Any]]:
        return [
            {"message": f.message, "kind": f.kind, "blocking": f.blocking}
            for f in card.checks.findings
        ]

    def get_variant(self, card: ChannelCard) -> dict[str, Any] | None:
        if card.variant is None:
            return None
        return {"id": card.variant.pk, "label": card.variant.label}


class ReviewSerializer(serializers.Serializer[Any]):
    post = serializers.IntegerField(source="post.pk")
    status = serializers.CharField(source="post.status")
    scheduled_at = serializers.DateTimeField(allow_null=True)
    channels = ReviewChannelSerializer(many=True)
    blocked = serializers.ListField(
        child=serializers.CharField(),
        help_text="What no one may approve past (copy or images over a "
        "channel's limit): approve answers 409 while any stands.",
    )
    problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="Objections to approving now (the brand-safety gate); with "
        "any, only an owner or admin may approve (403 otherwise).",
    )
    fingerprint = serializers.CharField(
        help_text="Send it with `POST /posts/{id}/approve/` to approve exactly this."
    )
