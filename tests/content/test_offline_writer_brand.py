"""Issue 9: the offline writer pasted the brief verbatim into the copy. Drafts
are now built from the brand's facts (name, description, do-words, audience)
and stay labelled as offline drafts."""

from __future__ import annotations

import dataclasses
import re

import pytest

from content.offline_writer import OfflineWriter, brand_fact
from networks.copy_types import BrandFacts, ChannelSpec, CopyTask, RenderedPrompt

BRIEF = (
    "Launch our new single-origin espresso from Huila, Colombia to home "
    "baristas. Show the roasting craft and the farmers behind the beans. "
    "Launch offer: free shipping on the first bag."
)
BRAND = BrandFacts(
    name="Demo Coffee Roasters",
    description="A small roastery in Berlin selling single-origin beans online.",
    voice="Warm and curious, never snobbish.",
    audience="Home baristas in Germany and Austria",
    do_words=("fresh roast", "traceable"),
    required_hashtags=("#DemoCoffee",),
    default_cta="Order a fresh bag at democoffee.example",
)


def _task(**changes: object) -> CopyTask:
    task = CopyTask(
        brand=BRAND,
        objective="awareness",
        brief=BRIEF,
        topic="Behind the scenes: small-batch roasting",
        angle="How we roast in small batches",
        link="",
        language="en",
        channels=(
            ChannelSpec("mastodon", None, 500),
            ChannelSpec("linkedin", None, 3000),
            ChannelSpec("webhook", None, None),
        ),
        count=6,
        prompt=RenderedPrompt("copy", "1", "system", "user"),
    )
    return dataclasses.replace(task, **changes)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 20]


def test_no_draft_contains_the_brief_or_one_of_its_sentences() -> None:
    for variant in OfflineWriter().write(_task()).variants:
        for text in variant.texts.values():
            assert BRIEF not in text
            for sentence in _sentences(BRIEF):
                assert sentence.rstrip(".") not in text, (sentence, text)
        assert variant.rationale.startswith("offline draft: rules, no AI")


def test_drafts_carry_the_brands_facts() -> None:
    variants = OfflineWriter().write(_task()).variants
    long_texts = [v.texts["linkedin"] for v in variants]
    assert all("#DemoCoffee" in t for t in long_texts)
    assert any(
        "Demo Coffee Roasters is a small roastery in Berlin selling "
        "single-origin beans online." in t
        for t in long_texts
    )
    assert any("home baristas in Germany and Austria" in t for t in long_texts)
    assert all("Order a fresh bag at democoffee.example." in t for t in long_texts)


@pytest.mark.parametrize(
    ("brand", "expected"),
    [
        (BRAND, "Demo Coffee Roasters is a small roastery in Berlin"),
        (
            dataclasses.replace(BRAND, description="Our beans come from Huila."),
            "At Demo Coffee Roasters, our beans come from Huila.",
        ),
        (
            dataclasses.replace(BRAND, description="Roasting since 2012. More."),
            "Demo Coffee Roasters: Roasting since 2012.",
        ),
        (
            dataclasses.replace(BRAND, description=""),
            "Demo Coffee Roasters: fresh roast, traceable.",
        ),
        (dataclasses.replace(BRAND, description="", do_words=()), ""),
    ],
)
def test_brand_fact_is_one_sentence_from_the_brand(brand, expected) -> None:
    assert brand_fact(brand).startswith(expected)


def test_a_planner_title_leads_as_written_and_an_instruction_is_not_pasted() -> None:
    task = _task(
        topic="Did you know? Harvest stories",
        angle="Introduce harvest stories to someone who has never heard of us",
    )
    for variant in OfflineWriter().write(task).variants:
        text = variant.texts["linkedin"]
        assert text.startswith("Did you know? Harvest stories.")
        assert "Curious about did you know" not in text
        assert "Introduce harvest stories" not in text


def test_a_copy_like_angle_is_still_used() -> None:
    task = _task(topic="Moka pot recipes", angle="three recipes for a Sunday")
    texts = [v.texts["linkedin"] for v in OfflineWriter().write(task).variants]
    assert any("Three recipes for a Sunday." in t for t in texts)
    assert texts[0].startswith("Curious about moka pot recipes?")


def test_a_title_is_not_repeated_by_its_angle_and_tags_name_the_subject() -> None:
    task = _task(
        topic="Behind the scenes: moka pot recipes",
        angle="Behind the scenes: how Demo Coffee Roasters approaches moka pot",
    )
    variant = OfflineWriter().write(task).variants[0]
    text = variant.texts["linkedin"]
    assert text.count("Behind the scenes") == 1
    assert "#MokaPotRecipes" in text.split()
    assert "#BehindScenesMoka" not in text
