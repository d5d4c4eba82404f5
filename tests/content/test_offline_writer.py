"""The offline writer: deterministic, honest about what it is, within every limit."""

from __future__ import annotations

import dataclasses
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content.llm import copy_schema
from content.offline_writer import OfflineWriter, measure, shorten
from networks.copy_types import (
    AngleTask,
    BrandFacts,
    ChannelSpec,
    CopyResult,
    CopyTask,
    RenderedPrompt,
)

BRAND = BrandFacts(
    name="AdLoop",
    audience="Small shop owners",
    default_cta="Start your free trial today",
    required_hashtags=("#AdLoop", "ad"),
    required_mentions=("@adloop",),
)
# The networks' limits (shared/CHANNELS.md) and a few tight ones.
LIMITS = {
    "x": (280, None),
    "bluesky": (300, None),
    "mastodon": (500, None),
    "linkedin": (3000, None),
    "facebook": (63206, None),
    "instagram": (2200, 30),
    "email": (78, None),
    "webhook": (None, None),
    "wordpress": (None, None),
}


def _task(**changes: object) -> CopyTask:
    task = CopyTask(
        brand=BRAND,
        objective="signups",
        brief=(
            "Our spring release writes a week of posts in minutes, checked against "
            "every channel's rules. Teams reported saving five hours a week."
        ),
        topic="Spring release planner",
        angle="save five hours a week on social posts",
        link="https://adloop.example/spring?utm_source=social",
        language="en",
        channels=tuple(
            ChannelSpec(n, None, lim, tags) for n, (lim, tags) in LIMITS.items()
        ),
        count=3,
        prompt=RenderedPrompt("copy", "1", "system", "user"),
    )
    return dataclasses.replace(task, **changes)


def _words(text: str) -> set[str]:
    return {w.strip(string.punctuation + "…") for w in text.split()} - {""}


def test_same_task_gives_the_same_drafts() -> None:
    assert OfflineWriter().write(_task()) == OfflineWriter().write(_task())


def test_it_says_it_is_an_offline_draft_not_an_llm() -> None:
    result = OfflineWriter().write(_task())

    assert (result.provider, result.model) == ("offline", "offline-draft-v1")
    assert result.usage.tokens_in == result.usage.cost == 0
    for v in result.variants:
        assert v.rationale.startswith("offline draft: rules, no AI")


def test_labels_get_different_structures() -> None:
    a, b, c = OfflineWriter().write(_task()).variants

    assert [v.label for v in (a, b, c)] == ["A", "B", "C"]
    assert a.texts["x"].startswith("Curious about spring release planner?")
    assert b.texts["x"].startswith("Spring release planner: save five hours")
    assert len(c.texts["linkedin"]) < len(a.texts["linkedin"])  # short and punchy
    assert len({a.texts["x"], b.texts["x"], c.texts["x"]}) == 3


def test_every_network_limit_is_respected_with_required_tags_and_mentions() -> None:
    result = OfflineWriter().write(_task())

    for v in result.variants:
        for network, (limit, max_tags) in LIMITS.items():
            text = v.texts[network]
            if limit is not None:
                assert measure(text) <= limit, (network, text)
            if network != "email":  # 78 characters: the subject line's budget
                assert {"#AdLoop", "#ad", "@adloop"} <= set(text.split()), text
            tags = [w for w in text.split() if w.startswith("#")]
            assert max_tags is None or len(tags) <= max_tags


def test_the_answer_matches_the_llm_schema() -> None:
    import jsonschema

    task = _task()
    result = OfflineWriter().write(task)

    jsonschema.validate(result.raw, copy_schema([c.network for c in task.channels]))


def test_a_tight_limit_shortens_at_a_word_boundary() -> None:
    task = _task(channels=(ChannelSpec("mastodon", None, 70),))

    for v in OfflineWriter().write(task).variants:
        text = v.texts["mastodon"]
        full = OfflineWriter().write(_task()).variants
        assert measure(text) <= 70
        assert _words(text) <= _words(" ".join(f.texts["linkedin"] for f in full))
        assert "#AdLoop" in text and "@adloop" in text


def test_instagram_gets_link_in_bio_instead_of_a_url() -> None:
    v = OfflineWriter().write(_task()).variants[0]

    assert "Link in bio." in v.texts["instagram"]
    assert "https://" not in v.texts["instagram"]
    assert "https://adloop.example/spring" in v.texts["linkedin"]
    assert v.link_placement == "end"


def test_max_hashtags_keeps_the_required_ones_first() -> None:
    task = _task(channels=(ChannelSpec("instagram", None, 2200, 2),))

    text = OfflineWriter().write(task).variants[0].texts["instagram"]

    assert [w for w in text.split() if w.startswith("#")] == ["#AdLoop", "#ad"]


def test_alt_text_and_image_prompt_come_from_the_topic() -> None:
    v = OfflineWriter().write(_task()).variants[0]

    assert "Spring release planner" in v.alt_text
    assert "Spring release planner" in v.image_prompt


def test_stream_yields_the_json_then_the_same_result() -> None:
    *chunks, result = OfflineWriter().stream(_task())

    assert isinstance(result, CopyResult)
    assert result == OfflineWriter().write(_task())
    assert all(isinstance(c, str) for c in chunks) and len(chunks) > 1


def test_moderation_is_not_offered_offline() -> None:
    assert OfflineWriter().moderate("anything") is None


def test_measure_counts_urls_as_23_and_wide_characters_as_2() -> None:
    assert measure("see https://a.co") == 4 + 23
    assert measure("春") == 2
    assert measure("👍") == 2
    assert measure("café") == 4


def test_shorten_never_cuts_inside_a_word() -> None:
    assert shorten("Planning posts should take minutes", 20) == "Planning posts…"
    assert (
        shorten("Short. And then a longer second sentence.", 20) == "Short. And then…"
    )
    assert shorten("Supercalifragilistic", 5) == ""


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(min_value=40, max_value=400),
    words=st.lists(
        st.text(alphabet=string.ascii_letters + "éß春", min_size=1, max_size=14),
        min_size=1,
        max_size=60,
    ),
    index=st.integers(min_value=0, max_value=5),
)
def test_any_brief_fits_any_limit_without_cutting_words(
    limit: int, words: list[str], index: int
) -> None:
    brief = " ".join(words) + "."
    task = _task(
        brief=brief,
        angle=" ".join(reversed(words)),
        channels=(ChannelSpec("x", None, limit), ChannelSpec("webhook", None, None)),
        count=index + 1,
    )

    v = OfflineWriter().write(task).variants[index]

    assert measure(v.texts["x"]) <= limit
    assert _words(v.texts["x"]) <= _words(v.texts["webhook"])
    assert "#AdLoop" in v.texts["x"].split()


@pytest.mark.parametrize("pillar", ["Education", "Behind the scenes"])
def test_angles_are_deterministic_and_distinct(pillar: str) -> None:
    task = AngleTask(
        brand=BRAND,
        objective="awareness",
        brief="Show how small shops plan a month of posts. Explain the review step.",
        pillar=pillar,
        count=4,
        language="en",
    )

    angles = OfflineWriter().propose_angles(task)

    assert angles == OfflineWriter().propose_angles(task)
    assert len(angles) == 4
    assert len({a.angle for a in angles}) == 4
    assert all(a.topic.startswith(f"{pillar}: ") for a in angles)
    assert all(a.rationale.startswith("offline draft: rules, no AI") for a in angles)


def test_angles_build_on_past_winners_first() -> None:
    task = AngleTask(
        brand=BRAND,
        objective="awareness",
        brief="Plan a month of posts.",
        pillar="Education",
        count=2,
        language="en",
        past_winners=("Our 5-minute planning checklist got 3x the usual clicks",),
    )

    first, second = OfflineWriter().propose_angles(task)

    assert "5-minute planning checklist" in first.angle
    assert second.angle != first.angle
