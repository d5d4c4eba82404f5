"""A channel account's limits and what copy and images break, before anything
is sent: length per account (a Mastodon instance's own), each part of a
thread, image count and size (`networks.limits`, `limit_violations`)."""

from __future__ import annotations

from networks.copy_types import BrandFacts
from networks.limits import (
    clean_account_limits,
    image_violations,
    limits_for,
    text_violations,
)
from networks.textrules import check, limit_violations, parts_for, split_thread

MB = 1024 * 1024


def _codes(violations) -> list[str]:
    return [v.code for v in violations]


def test_bluesky_301_graphemes_is_one_over_and_300_fits():
    limits = limits_for("bluesky")
    (too_long,) = text_violations("a" * 301, limits)
    assert too_long.code == "too_long"
    assert too_long.message == "Too long for Bluesky: 301 of 300 graphemes (1 over)."
    assert text_violations("a" * 300, limits) == []


def test_x_counts_weighted_chars():
    (too_long,) = text_violations("x" * 4999, limits_for("x"))
    assert "4,999 of 280 weighted chars" in too_long.message
    assert text_violations("x" * 280, limits_for("x")) == []


def test_a_mastodon_instance_sets_its_own_limit_per_account():
    default = limits_for("mastodon")
    small = limits_for("mastodon", {"max_length": 300}, account_name="Roastery")
    large = limits_for("mastodon", {"max_length": 5000}, account_name="Big")
    text = "a" * 450
    assert text_violations(text, default) == []
    (too_long,) = text_violations(text, small)
    assert too_long.message == (
        "Too long for Mastodon (Roastery): 450 of 300 graphemes (150 over)."
    )
    assert text_violations("a" * 4000, large) == []
    assert _codes(text_violations("a" * 4000, default)) == ["too_long"]


def test_account_limits_keep_only_positive_whole_numbers_under_known_keys():
    assert clean_account_limits(
        {"max_length": 700, "max_images": 0, "max_image_bytes": "9", "other": 3}
    ) == {"max_length": 700}
    assert clean_account_limits(None) == {}
    assert clean_account_limits({"max_length": True}) == {}
    assert limits_for("mastodon", {"max_length": -1}).max_length == 500


def test_each_part_of_a_thread_is_measured_alone_where_the_network_threads():
    part = "a" * 250
    thread = f"{part}\n---\n{part}\n---\n{'b' * 301}"
    assert split_thread(thread) == [part, part, "b" * 301]
    (third,) = text_violations(thread, limits_for("bluesky"))
    assert third.message.startswith("Part 3 of the thread is too long for Bluesky")
    assert "301 of 300 graphemes" in third.message
    # Two parts that fit each fit; the whole would not.
    assert text_violations(f"{part}\n---\n{part}", limits_for("bluesky")) == []


def test_without_threads_the_parts_go_out_joined_and_count_together():
    text = "a" * 1600 + "\n---\n" + "b" * 1600
    assert parts_for("linkedin", text) == ["a" * 1600 + "\n\n" + "b" * 1600]
    (too_long,) = text_violations(text, limits_for("linkedin"))
    assert "3,202 of 3,000 chars" in too_long.message


def test_bluesky_bytes_are_a_limit_of_their_own():
    text = "\U0001f600" * 299  # 299 graphemes, 1,196 bytes: fits
    assert text_violations(text, limits_for("bluesky")) == []
    heavy = ("e\u0301" * 10) * 29  # 290 graphemes of 3 bytes: 870 bytes
    assert text_violations(heavy, limits_for("bluesky")) == []
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    (too_many_bytes,) = text_violations(family * 121, limits_for("bluesky"))
    assert too_many_bytes.code == "too_many_bytes"


def test_image_count_and_size():
    bluesky = limits_for("bluesky")
    assert image_violations([500_000] * 4, bluesky) == []
    (count,) = image_violations([1000] * 5, bluesky)
    assert count.message == "Too many images for Bluesky: 5 of 4 images (1 over)."
    (size,) = image_violations([1000, 1_200_000], bluesky)
    assert size.code == "image_too_large"
    assert size.message.startswith("Image 2 is too large for Bluesky: 1.1 MB")
    assert _codes(image_violations([6 * MB], limits_for("x"))) == ["image_too_large"]
    assert image_violations([6 * MB], limits_for("linkedin")) == []
    # WordPress takes one (featured) image; email sends none and is not limited.
    assert _codes(image_violations([10, 10], limits_for("wordpress"))) == [
        "too_many_images"
    ]
    assert image_violations([10] * 9, limits_for("email")) == []


def test_an_instance_may_allow_more_images_and_bigger_files():
    own = limits_for(
        "mastodon", {"max_images": 6, "max_image_bytes": 40 * MB}, account_name="M"
    )
    assert image_violations([20 * MB] * 6, own) == []
    (count,) = image_violations([1] * 7, own)
    assert count.message.startswith("Too many images for Mastodon (M): 7 of 6")
    assert _codes(image_violations([20 * MB] * 5, limits_for("mastodon"))) == [
        "too_many_images",
        *["image_too_large"] * 5,
    ]


def test_check_reports_the_limits_first_and_the_brand_rules_after():
    brand = BrandFacts(name="B", required_hashtags=("Roast",), dont_words=("cheap",))
    violations = check("cheap " + "a" * 300, network="bluesky", brand=brand)
    assert _codes(violations) == ["too_long", "missing_hashtag", "dont_word"]
    assert _codes(limit_violations("a" * 300, network="bluesky")) == []


def test_an_account_limit_equal_to_the_networks_is_not_called_its_own():
    same = limits_for("mastodon", {"max_length": 500}, account_name="M")
    assert same.own == frozenset()
    (too_long,) = text_violations("a" * 501, same)
    assert too_long.message.startswith("Too long for Mastodon: 501 of 500")


def test_the_part_shown_is_the_one_furthest_over_else_the_longest():
    from networks.textrules import measure_parts, worst_part

    parts = measure_parts("x", "short\n---\n" + "a" * 290 + "\n---\n" + "b" * 200)
    assert [m.length for m in parts] == [5, 290, 200]
    assert worst_part(parts) == 1
    fits = measure_parts("x", "short\n---\nlonger one")
    assert worst_part(fits) == 1
    assert len(measure_parts("linkedin", "a\n---\nb")) == 1


def test_the_rule_report_of_a_thread_measures_its_parts(tenant):
    from content.models import Variant
    from content.services.variants import rule_report_for
    from tests.factories import ChannelAccountFactory, PostFactory

    account = ChannelAccountFactory(workspace=tenant.workspace, network="x")
    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[account])
    variant = Variant(workspace=tenant.workspace, post=post, network="x", label="A")
    report = rule_report_for(variant, "a" * 250 + "\n---\n" + "b" * 270)
    assert report["measure"]["length"] == 270
    assert (report["measure"]["part"], report["measure"]["parts"]) == (2, 2)
    assert report["violations"] == []
