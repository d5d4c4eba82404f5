"""Input and output shapes of the copy API (views in `generations.py` and
`variants.py`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from connections.api.channel_accounts import VisibleField, named_choice
from connections.models import ChannelAccount, Network
from content.models import (
    Generation,
    GenerationStatus,
    MadeBy,
    Variant,
    VariantEdit,
    VariantStatus,
)
from content.services.generation import MAX_COUNT
from content.services.variants import MAX_TEXT
from core.api.common import StrictSerializer

OFFLINE_HELP = (
    "True when the offline writer made it: a deterministic draft built from the "
    "brief and the brand, not a language model's copy."
)

# --- Input ----------------------------------------------------------------------


class GenerateSerializer(StrictSerializer):
    accounts = VisibleField(
        ChannelAccount,
        many=True,
        required=False,
        label_text="channel account",
        help_text="Channel account ids of the post; omitted: all of its channels "
        "(or all on `network`).",
    )
    network = named_choice(
        "Network",
        Network.choices,
        required=False,
        help_text="Write only for the post's accounts on this network (the "
        "editor's tab); variants of other networks are left alone.",
    )
    count = serializers.IntegerField(
        min_value=1,
        max_value=MAX_COUNT,
        default=3,
        help_text=f"Variants per channel, 1 to {MAX_COUNT}.",
    )
    tone = serializers.CharField(
        max_length=100,
        allow_blank=True,
        default="",
        help_text="Overrides the brand's tone for this request.",
    )
    language = serializers.CharField(
        max_length=20,
        allow_blank=True,
        default="",
        help_text="A language tag (en, de-CH…); empty: the brand's first language.",
    )
    fresh = serializers.BooleanField(
        default=False,
        help_text="Write new variants even when an identical request was "
        "answered before (otherwise that answer is reused, without a call).",
    )


class VariantTextSerializer(StrictSerializer):
    text = serializers.CharField(
        max_length=MAX_TEXT, help_text="The new copy; the edit is tracked."
    )


# --- Output: generations ----------------------------------------------------------


class GenerationSerializer(serializers.ModelSerializer[Generation]):
    status = named_choice("GenerationStatus", GenerationStatus.choices, read_only=True)
    template = serializers.CharField(source="prompt_template", read_only=True)
    template_version = serializers.CharField(source="prompt_version", read_only=True)
    offline_draft = serializers.SerializerMethodField(help_text=OFFLINE_HELP)

    class Meta:
        model = Generation
        fields = [
            "id",
            "workspace",
            "post",
            "networks",
            "accounts",
            "count",
            "options",
            "status",
            "progress",
            "message",
            "provider",
            "model",
            "offline_draft",
            "template",
            "template_version",
            "inputs_hash",
            "cache_hit",
            "reused_from",
            "tokens_in",
            "tokens_out",
            "cost",
            "estimated_cost",
            "estimated_tokens",
            "error",
            "created_by",
            "created_by_key",
            "created_at",
            "started_at",
            "finished_at",
            "canceled_at",
        ]
        read_only_fields = fields

    def get_offline_draft(self, generation: Generation) -> bool:
        return generation.provider == "offline"


class AISpendSerializer(serializers.Serializer[Any]):
    workspace = serializers.IntegerField()
    month_start = serializers.DateTimeField(help_text="The month counted (UTC).")
    spend = serializers.DecimalField(
        max_digits=14,
        decimal_places=6,
        help_text="USD this month; queued and running jobs count with their estimate.",
    )
    tokens = serializers.IntegerField(help_text="Tokens in + out this month.")
    budget = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        help_text="USD per month; null: no limit.",
    )
    token_budget = serializers.IntegerField(
        allow_null=True, help_text="Tokens per month; null: no limit."
    )
    remaining = serializers.DecimalField(
        max_digits=14,
        decimal_places=6,
        allow_null=True,
        help_text="USD left this month (never below 0); null: no limit.",
    )
    provider = serializers.CharField(help_text="The provider a request uses now.")
    model = serializers.CharField()


# --- Output: variants -------------------------------------------------------------


class VariantEditSerializer(serializers.ModelSerializer[VariantEdit]):
    by_name = serializers.SerializerMethodField(
        help_text="The person's name, or the API key's."
    )

    class Meta:
        model = VariantEdit
        fields = ["id", "by", "by_key", "by_name", "at", "diff"]
        read_only_fields = fields

    def get_by_name(self, edit: VariantEdit) -> str:
        if edit.by is not None:
            return edit.by.display_name
        if edit.by_key is not None:
            return f"API key {edit.by_key.name}"
        return ""


class RuleViolationSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class RuleReportSerializer(serializers.Serializer[Any]):
    """The channel rules' report, with the length in the network's own measure."""

    length = serializers.IntegerField(
        allow_null=True, help_text="As the network counts (X: URLs as 23…)."
    )
    unit = serializers.CharField(help_text="What `length` counts (graphemes…).")
    limit = serializers.IntegerField(allow_null=True)
    violations = RuleViolationSerializer(many=True)
    shortened = serializers.BooleanField(
        help_text="Cut at a sentence boundary after the model's rewrite still "
        "broke a rule."
    )
    flagged = serializers.BooleanField(help_text="Shortened or still breaking a rule.")
    retried = serializers.BooleanField(help_text="Sent back to the model once.")
    edited = serializers.BooleanField(help_text="Measured after a person's edit.")
    measure = serializers.DictField(help_text="Every figure the measure gave.")


class GateReasonSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class GateSerializer(serializers.Serializer[Any]):
    """The brand-safety verdict."""

    passed = serializers.BooleanField()
    reasons = GateReasonSerializer(many=True)
    required_label = serializers.CharField(allow_null=True, allow_blank=True)
    overridden = serializers.BooleanField(
        help_text="An owner or admin accepted the failed check."
    )
    overridden_by = serializers.IntegerField(allow_null=True)
    overridden_at = serializers.DateTimeField(allow_null=True)


class ProvenanceSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    model = serializers.CharField()
    offline_draft = serializers.BooleanField(help_text=OFFLINE_HELP)
    template = serializers.CharField()
    template_version = serializers.CharField()
    inputs_hash = serializers.CharField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=6)
    latency_ms = serializers.IntegerField()
    made_by = named_choice("VariantMadeBy", MadeBy.choices)
    created_by = serializers.IntegerField(allow_null=True)
    created_by_key = serializers.IntegerField(allow_null=True)


class ProblemSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField(help_text="Names the channel, length and limit.")
    kind = serializers.ChoiceField(
        choices=["limit", "gate", "rule"],
        help_text="limit: the network would refuse it; gate: the brand-safety "
        "check; rule: the brand's rules.",
    )
    blocking = serializers.BooleanField(
        help_text="True: it cannot be chosen, and its post cannot be submitted, "
        "approved or scheduled, until fixed."
    )


class VariantSerializer(serializers.ModelSerializer[Variant]):
    status = named_choice("VariantStatus", VariantStatus.choices, read_only=True)
    rules = serializers.SerializerMethodField()
    gate = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField(
        help_text="Every problem now, as the editor's badge lists them: the "
        "limits of the post's accounts on this network (their own where they "
        "set one), the gate, the brand's rules. Empty: it passes and fits."
    )
    provenance = serializers.SerializerMethodField()
    edits = VariantEditSerializer(many=True, read_only=True)

    class Meta:
        model = Variant
        fields = [
            "id",
            "workspace",
            "post",
            "generation",
            "network",
            "account",
            "label",
            "text",
            "hashtags",
            "link_placement",
            "alt_text",
            "image_prompt",
            "rationale",
            "status",
            "rules",
            "gate",
            "problems",
            "provenance",
            "edits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RuleReportSerializer)
    def get_rules(self, variant: Variant) -> dict[str, Any]:
        report = variant.rule_report or {}
        measure = report.get("measure") or {}
        if not isinstance(measure, dict):
            measure = {}
        return {
            "length": measure.get("length"),
            "unit": measure.get("unit", ""),
            "limit": measure.get("limit", report.get("max_length")),
            "violations": report.get("violations", []),
            "shortened": bool(report.get("shortened")),
            "flagged": bool(report.get("flagged")),
            "retried": bool(report.get("retried")),
            "edited": bool(report.get("edited")),
            "measure": measure,
        }

    @extend_schema_field(GateSerializer)
    def get_gate(self, variant: Variant) -> dict[str, Any]:
        gate = variant.gate or {}
        return {
            "passed": variant.gate_passed,
            "reasons": gate.get("reasons", []),
            "required_label": gate.get("required_label"),
            "overridden": variant.gate_overridden_at is not None,
            "overridden_by": variant.gate_overridden_by_id,
            "overridden_at": variant.gate_overridden_at,
        }

    @extend_schema_field(ProblemSerializer(many=True))
    def get_problems(self, variant: Variant) -> list[dict[str, Any]]:
        from content.services import copy_checks

        try:
            limits = copy_checks.variant_findings(variant)
        except ValueError:  # a network without rules: nothing to measure
            limits = []
        return [
            {
                "code": f.code,
                "message": f.message,
                "kind": f.kind,
                "blocking": f.blocking,
            }
            for f in copy_checks.problems_of(variant, limits)
        ]

    @extend_schema_field(ProvenanceSerializer)
    def get_provenance(self, variant: Variant) -> dict[str, Any]:
        return {
            "provider": variant.provider,
            "model": variant.model,
            "offline_draft": variant.is_offline_draft,
            "template": variant.prompt_template,
            "template_version": variant.prompt_version,
            "inputs_hash": variant.inputs_hash,
            "tokens_in": variant.tokens_in,
            "tokens_out": variant.tokens_out,
            "cost": str(variant.cost),
            "latency_ms": variant.latency_ms,
            "made_by": variant.made_by,
            "created_by": variant.created_by_id,
            "created_by_key": variant.created_by_key_id,
        }


__all__ = [
    "AISpendSerializer",
    "GenerateSerializer",
    "GenerationSerializer",
    "VariantSerializer",
    "VariantTextSerializer",
]
