"""Channel rules: each network's measure, the rule check and shortening.

CASES is shared with tests/e2e/test_charcount_js.py, which runs the editor's JS
port on the same table: keep every row justified by the rule it exercises.
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from networks.copy_types import BrandFacts
from networks.textrules import (
    RULES,
    check,
    graphemes,
    measure,
    shorten,
    spec_for,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man, woman, girl (ZWJ)
FAMILY4 = FAMILY + "\u200d\U0001f466"  # + boy: 4 x 4 bytes + 3 ZWJ x 3 = 25 bytes
THUMB_TONE = "\U0001f44d\U0001f3fd"  # thumbs up, medium skin tone
FLAG = "\U0001f1fa\U0001f1e6"  # regional indicators U, A
E_ACUTE = "e\u0301"  # e + combining acute: one grapheme, NFC "é"
LONG_URL = "https://example.com/" + "a" * 100

# (network, text, max_length, length, hashtags)
CASES: list[tuple[str, str, int | None, int, int]] = [
    # X: weighted (twitter-text v3)
    ("x", "Hello world", None, 11, 0),
    ("x", FAMILY, None, 2, 0),  # an emoji sequence weighs 2
    ("x", THUMB_TONE, None, 2, 0),
    ("x", FLAG, None, 2, 0),
    ("x", E_ACUTE, None, 1, 0),  # NFC first: U+00E9 weighs 1
    ("x", "日本語", None, 6, 0),  # CJK weighs 2
    ("x", "café \u2615", None, 7, 0),  # hot beverage: an emoji, 2
    ("x", "a\u2014b", None, 3, 0),  # em dash 8212 is in 8208-8223: 1
    ("x", "a\u2026", None, 3, 0),  # ellipsis 8230 is in no light range: 2
    ("x", "Read " + LONG_URL, None, 28, 0),  # any URL counts 23
    ("x", "https://t.co/x", None, 23, 0),  # a short one too
    ("x", "Go to adloop.com.", None, 30, 0),  # bare gTLD domain is a link
    ("x", "adloop.io", None, 9, 0),  # ccTLD without a path is not
    ("x", "adloop.io/spring", None, 23, 0),  # with a path it is
    ("x", "日" * 141, None, 282, 0),
    ("x", "#Spring #Sale #1 deals", None, 22, 2),  # "#1" is not a hashtag
    # Bluesky: graphemes and UTF-8 bytes
    ("bluesky", FAMILY, None, 1, 0),
    ("bluesky", E_ACUTE * 3, None, 3, 0),
    ("bluesky", "a" * 301, None, 301, 0),
    ("bluesky", LONG_URL, None, 120, 0),  # links count in full
    ("bluesky", FAMILY4 * 121, None, 121, 0),  # 3,025 bytes: the byte limit bites
    # Mastodon: graphemes, scheme URLs as 23, remote mentions as @user
    ("mastodon", "Hi @alice@mastodon.social", None, 9, 0),
    ("mastodon", LONG_URL, None, 23, 0),
    ("mastodon", "www.example.com", None, 15, 0),  # no scheme: plain text
    ("mastodon", FAMILY + THUMB_TONE + FLAG, None, 3, 0),
    ("mastodon", "a" * 501, None, 501, 0),
    ("mastodon", "a" * 600, 1000, 600, 0),  # the instance's own limit
    # LinkedIn, Facebook, Instagram, webhook: UTF-16 code units
    ("linkedin", THUMB_TONE, None, 4, 0),
    ("linkedin", FAMILY, None, 8, 0),
    ("facebook", E_ACUTE, None, 2, 0),
    ("facebook", "日本語", None, 3, 0),
    ("instagram", "#a #b #1 &#38; https://e.com/#frag #c_d", None, 39, 3),
    ("webhook", "x" * 70000, None, 70000, 0),
    # Email: the subject line only, in graphemes
    ("email", "Spring sale \u2600\ufe0f\n\n" + "Body " * 100, None, 13, 0),
]


@pytest.mark.parametrize(("network", "text", "max_length", "length", "tags"), CASES)
def test_measure_counts_as_the_network_does(network, text, max_length, length, tags):
    m = measure(network, text, max_length=max_length)
    assert m.length == length
    assert m.hashtags == tags
    limit = max_length or RULES[network].max_length
    assert m.limit == limit
    assert m.over_by == (max(0, length - limit) if limit else 0)


def test_bluesky_byte_limit_is_hit_before_the_grapheme_limit():
    fits = measure("bluesky", FAMILY4 * 120)
    over = measure("bluesky", FAMILY4 * 121)
    assert (fits.length, fits.bytes, fits.fits) == (120, 3000, True)
    assert (over.length, over.over_by) == (121, 0)
    assert (over.bytes, over.bytes_over_by, over.fits) == (3025, 25, False)


def test_x_limit_boundary():
    assert measure("x", "日" * 140).fits
    assert measure("x", "日" * 140 + "a").over_by == 1


def test_spec_for_uses_the_instance_limit_when_given():
    assert spec_for("mastodon").max_length == 500
    assert spec_for("mastodon", 11000).max_length == 11000
    spec = spec_for("instagram")
    assert (spec.max_length, spec.max_hashtags) == (2200, 30)
    assert "23" in spec_for("x").notes
    assert spec_for("wordpress").max_length is None


def test_unknown_network_is_refused():
    with pytest.raises(ValueError, match="tiktok"):
        measure("tiktok", "hi")


# --- check -------------------------------------------------------------------

BRAND = BrandFacts(
    name="Acme",
    dont_words=("cheap", "low cost"),
    required_hashtags=("Spring",),
    required_mentions=("@acme",),
)
OK = "Spring is here #spring with @acme"


def codes(violations):
    return [v.code for v in violations]


def test_clean_text_has_no_violation():
    assert check(OK, network="x", brand=BRAND) == []


def test_too_long_is_said_in_the_networks_measure():
    text = OK + " " + "日" * 130  # 33 + 1 + 130 x 2 = 294
    [v] = check(text, network="x", brand=BRAND)
    assert v.code == "too_long"
    assert v.message == "Too long for X: 294 of 280 weighted chars (14 over)."


def test_bluesky_bytes_violation():
    violations = check(OK + " " + FAMILY4 * 120, network="bluesky", brand=BRAND)
    assert codes(violations) == ["too_many_bytes"]
    assert "3,000 bytes" in violations[0].message


def test_instagram_hashtag_and_mention_caps():
    tags30 = " ".join(f"#t{i}" for i in range(29))
    assert check(f"{OK} {tags30}", network="instagram", brand=BRAND) == []
    v = check(f"{OK} {tags30} #one_more", network="instagram", brand=BRAND)
    assert codes(v) == ["too_many_hashtags"]
    assert v[0].message == "Instagram allows 30 hashtags; this text has 31."
    mentions = " ".join(f"@user{i}" for i in range(20))
    assert codes(check(f"{OK} {mentions}", network="instagram", brand=BRAND)) == [
        "too_many_mentions"
    ]


def test_missing_required_hashtag_and_mention():
    v = check("Springtime #springtime with @acmecorp", network="x", brand=BRAND)
    assert codes(v) == ["missing_hashtag", "missing_mention"]
    assert v[0].message == "Missing the brand's hashtag #Spring."
    assert v[1].message == "Missing the brand's mention @acme."


def test_remote_mention_satisfies_required_local_one():
    assert check("#Spring @acme@mastodon.social", network="mastodon", brand=BRAND) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("So Cheap!", ["cheap"]),
        ("#cheap", ["cheap"]),
        ("#CheapDeals today", ["cheap"]),
        ("#cheap_deals", ["cheap"]),
        ("A low-cost plan", ["low cost"]),
        ("LOW   COST", ["low cost"]),
        ("cheapest", []),
        ("lowcost", []),
    ],
)
def test_dont_words_are_whole_words_any_case_even_in_hashtags(text, found):
    v = check(f"{OK} {text}", network="x", brand=BRAND)
    assert [x.message for x in v] == [
        f"Contains '{w}', which the brand does not use." for w in found
    ]


# --- shorten -----------------------------------------------------------------


def assert_cut_cleanly(original: str, result: str, *, network: str, max_length=None):
    assert measure(network, result, max_length=max_length).fits
    body = result.removesuffix("…")
    # A prefix of the original, ending on a word (and grapheme) boundary.
    assert original.startswith(body)
    rest = original[len(body) :]
    assert rest == "" or rest[0].isspace() or regex.match(r"\p{Han}", rest[0])
    assert len(graphemes(body)) == len(graphemes(original[: len(body)]))


def test_text_that_fits_is_unchanged():
    assert shorten("Short.", network="x") == ("Short.", False)
    assert shorten("x" * 100000, network="wordpress") == ("x" * 100000, False)


def test_cuts_at_the_last_sentence_that_fits():
    text = "First one here. Second sentence. " + "Third goes on and on. " * 20
    short, changed = shorten(text, network="x", max_length=40)
    assert changed
    assert short == "First one here. Second sentence."


def test_falls_back_to_a_word_with_an_ellipsis():
    text = "word " * 100
    short, changed = shorten(text, network="x")
    assert changed and short.endswith("word…")
    # 55 words (274) + "…" (U+2026 weighs 2) = 276; a 56th word would be 281.
    assert measure("x", short).length == 276
    assert_cut_cleanly(text, short, network="x")


def test_ellipsis_only_when_it_fits():
    assert shorten("Hello wonderful world", network="x", max_length=5) == (
        "Hello",
        True,
    )


def test_keeps_the_trailing_url_and_required_hashtag():
    text = "Big news. " + "We made something lovely for you. " * 10
    text += "https://example.com/" + "p" * 60 + " #Spring #Extra"
    short, changed = shorten(text, network="x", keep=["#Spring"])
    assert changed
    assert measure("x", short).fits
    assert short.startswith("Big news. ")
    assert "https://example.com/" + "p" * 60 in short
    assert "#Spring" in short


def test_readds_a_required_hashtag_the_cut_removed():
    text = "Short start. " + "Middle words here. " * 20 + "#Spring ends it. " * 3
    short, _ = shorten(text, network="x", max_length=60, keep=["Spring"])
    assert short.endswith("#Spring")
    assert measure("x", short, max_length=60).fits


def test_cjk_is_cut_at_a_full_width_stop():
    text = "日本語の文章です。" * 40
    short, changed = shorten(text, network="x")
    assert changed and short.endswith("。")
    assert measure("x", short).length == 270  # 15 sentences of 18


def test_bluesky_bytes_never_split_an_emoji_sequence():
    text = " ".join([FAMILY4] * 121)
    short, changed = shorten(text, network="bluesky")
    assert changed
    assert measure("bluesky", short).bytes <= 3000
    assert set(short.removesuffix("…").split(" ")) == {FAMILY4}


def test_email_shortens_the_subject_only():
    subject = "A subject line that rambles on far beyond what an inbox would show"
    text = subject + " in its preview, really.\n\nBody " + "x" * 500
    short, changed = shorten(text, network="email")
    new_subject, body = short.split("\n", 1)
    assert changed and body == "\nBody " + "x" * 500
    assert len(graphemes(new_subject)) <= 78
    assert text.startswith(new_subject.removesuffix("…"))


def test_a_single_overlong_word_leaves_only_what_must_stay():
    assert shorten("a" * 400, network="x") == ("", True)
    assert shorten("a" * 400 + " #Spring", network="x", keep=["#Spring"]) == (
        "#Spring",
        True,
    )


WORDS = st.sampled_from(
    ["hello", "wörld", E_ACUTE * 3, FAMILY, THUMB_TONE, FLAG, "日本", "ok.", "yes!"]
)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(WORDS, min_size=1, max_size=80),
    network=st.sampled_from(["x", "bluesky", "mastodon", "instagram"]),
    limit=st.integers(min_value=8, max_value=120),
)
def test_shorten_always_fits_and_never_cuts_inside_a_word(words, network, limit):
    text = " ".join(words)
    short, changed = shorten(text, network=network, max_length=limit)
    assert measure(network, short, max_length=limit).fits
    if not changed:
        assert short == text
    elif short:
        assert_cut_cleanly(text, short, network=network, max_length=limit)


@pytest.mark.parametrize("network", sorted(RULES))
def test_the_copy_rules_agree_with_the_connectors_capabilities(network: str) -> None:
    """The editor's counter and the copy generator read `RULES`; the publisher
    reads the connector's capabilities: one limit, or copy that passed the
    editor would be refused at publish time."""
    from networks import get_connector

    capabilities = get_connector(network).capabilities
    if capabilities.text_limit is not None:
        assert RULES[network].max_length == capabilities.text_limit
    # Images and threads: the checks before publishing read RULES; what the
    # connector sends (and truncates to) reads its capabilities.
    rules = RULES[network]
    if capabilities.max_images:
        assert rules.max_images == capabilities.max_images
    else:  # the network sends no images (email): none is counted against it
        assert rules.max_images is None
    assert rules.max_image_bytes == capabilities.max_image_bytes
    assert rules.threads == capabilities.threads
