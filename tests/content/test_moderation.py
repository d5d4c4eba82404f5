"""The brand-safety gate and the AI label."""

from __future__ import annotations

import pytest

from content.moderation import apply_ai_label, gate
from networks.copy_types import BrandFacts, ModerationResult
from networks.textrules import measure

BRAND = BrandFacts(name="Acme", dont_words=("cheap",))


def run_gate(text, **overrides):
    args = {
        "network": "x",
        "brand": BRAND,
        "objective": "awareness",
        "sponsored": False,
        "forbidden_claims": [],
        "ai_generated": False,
        "ai_disclosure": "never",
        "ai_disclosure_networks": [],
        "provider_moderation": None,
    }
    args.update(overrides)
    return gate(text, **args)


def codes(verdict):
    return [r.code for r in verdict.reasons]


def test_clean_text_passes():
    verdict = run_gate("Spring is here. Come and see.")
    assert verdict.passed and verdict.reasons == [] and verdict.required_label is None


def test_dont_word_fails_with_a_readable_reason():
    verdict = run_gate("So #cheap right now")
    assert not verdict.passed
    assert [r.message for r in verdict.reasons] == [
        "Contains 'cheap', which the brand does not use."
    ]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("New range #ad", True),
        ("New range #Sponsored", True),
        ("New range #AD", True),
        ("New range #adventure", False),
        ("New range, ad", False),
    ],
)
def test_sponsored_copy_needs_ad_or_sponsored(text, ok):
    verdict = run_gate(text, sponsored=True)
    assert ("missing_disclosure" not in codes(verdict)) is ok
    assert run_gate(text, sponsored=False).passed


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("Guaranteed   results in a week", "guaranteed results"),
        ("It cures everything", "cures"),
        ("Totally risk free", "risk-free"),
        ("The best in the World", "best in the world"),
        ("The world\u2019s best coffee", "world's best"),
        ("Doctor approved!", "doctor approved"),
    ],
)
def test_forbidden_claims_are_whole_phrases_any_case(text, claim):
    verdict = run_gate(text, forbidden_claims=["doctor approved"])
    assert codes(verdict) == ["forbidden_claim"]
    assert verdict.reasons[0].message == (
        f"Claims '{claim}', which cannot be proven in a post; rephrase or remove it."
    )


def test_claim_inside_a_longer_word_is_not_a_claim():
    assert run_gate("It secures your data").passed


def test_price_claims_only_matter_where_the_campaign_sells():
    assert run_gate("Our lowest price ever").passed
    verdict = run_gate("Our lowest price ever", objective="conversions")
    assert codes(verdict) == ["forbidden_claim"]


def test_provider_moderation_flags_fail_the_gate():
    flagged = ModerationResult(flagged=True, categories=("harassment", "violence"))
    verdict = run_gate("text", provider_moderation=flagged)
    assert codes(verdict) == ["provider_flagged"]
    assert "harassment, violence" in verdict.reasons[0].message
    assert run_gate("text", provider_moderation=ModerationResult(False)).passed


@pytest.mark.parametrize(
    ("policy", "networks", "ai", "label"),
    [
        ("always", [], True, "#AI"),
        ("per_channel", ["x"], True, "#AI"),
        ("per_channel", ["instagram"], True, None),
        ("never", ["x"], True, None),
        ("always", [], False, None),
    ],
)
def test_ai_label_follows_the_brands_policy(policy, networks, ai, label):
    verdict = run_gate(
        "Hello", ai_generated=ai, ai_disclosure=policy, ai_disclosure_networks=networks
    )
    assert verdict.required_label == label
    assert verdict.passed is (label is None)
    if label:
        assert verdict.reasons[0].message == (
            "The brand labels AI-written copy on X: add '#AI'."
        )


def test_email_label_is_a_sentence():
    verdict = run_gate(
        "Subject\n\nBody", network="email", ai_generated=True, ai_disclosure="always"
    )
    assert verdict.required_label == "This email was written with the help of AI."


def test_labelled_text_passes_the_ai_rule():
    ai = {"ai_generated": True, "ai_disclosure": "always"}
    assert run_gate("Hello #ai", **ai).passed
    assert not run_gate("Hello #AIart", **ai).passed


@pytest.mark.parametrize(
    ("text", "labelled"),
    [
        ("Spring is here.", "Spring is here.\n\n#AI"),
        ("Spring is here.\n#Spring #Sale", "Spring is here.\n#Spring #Sale #AI"),
        ("Spring is here. #AI", "Spring is here. #AI"),
    ],
)
def test_apply_ai_label(text, labelled):
    assert apply_ai_label(text, "x") == labelled


def test_apply_ai_label_stays_within_the_limit():
    text = "We made it for you. " * 14  # 279 weighted characters
    labelled = apply_ai_label(text, "x")
    assert labelled.endswith("#AI")
    assert measure("x", labelled).fits
    ai = {"ai_generated": True, "ai_disclosure": "always"}
    assert run_gate(labelled, **ai).passed


def test_apply_ai_label_to_email_goes_in_the_body():
    labelled = apply_ai_label("Subject\n\nBody text.", "email")
    assert labelled == (
        "Subject\n\nBody text.\n\nThis email was written with the help of AI."
    )
