"""The editor's live counter (static/js/charcount.js) agrees with Python.

Runs the script in the real headless Chromium on the same table of cases as
tests/content/test_channel_rules.py and compares every field of the measure.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from networks.textrules import RULES, measure, parts_for
from tests.content.test_channel_rules import CASES

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "charcount.js"
EXTRA = [
    ("bluesky", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 121),
    ("instagram", "@alice and me@example.com @bob.bsky.social"),
    ("x", "see www.example.com/path, and http://a.example.org."),
    ("mastodon", "Hello @bob@example.social and https://x.example/a?b=c!"),
    ("email", "Just a subject"),
    ("wordpress", "Title\n\nA blog post #one #two"),
]


def test_js_measure_matches_python_on_every_case(page):
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(SCRIPT))
    rows = [[net, text, limit] for net, text, limit, _, _ in CASES]
    rows += [[net, text, None] for net, text in EXTRA]
    got = page.evaluate(
        "rows => rows.map(r => AdLoopCharcount.measure(r[0], r[1], r[2]))", rows
    )
    want = [asdict(measure(n, t, max_length=m)) for n, t, m in rows]
    mismatches = [
        (row[0], row[1][:40], g, w)
        for row, g, w in zip(rows, got, want, strict=True)
        if g != w
    ]
    assert mismatches == []


def test_js_rules_match_python(page):
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(SCRIPT))
    js = page.evaluate("AdLoopCharcount.RULES")
    assert set(js) == set(RULES)
    for network, rules in RULES.items():
        assert js[network]["max_length"] == rules.max_length, network
        assert js[network]["unit"] == rules.unit, network
        assert js[network]["max_bytes"] == rules.max_bytes, network
        assert js[network]["threads"] == rules.threads, network


def test_counter_updates_as_the_user_types(page):
    page.set_content(
        '<textarea id="t" data-charcount-network="x"></textarea>'
        '<output data-charcount-for="t"></output>'
    )
    page.add_script_tag(path=str(SCRIPT))
    page.fill("#t", "日" * 141)
    out = page.locator("output")
    assert out.text_content() == "282 / 280 weighted chars"
    assert "is-over" in (out.get_attribute("class") or "")
    page.fill("#t", "Hi 👍🏽")
    assert out.text_content() == "5 / 280 weighted chars"


THREADS = [
    ("x", "First part.\n---\n" + "b" * 281),
    ("x", "  One  \n   ---  \nTwo\n---\n\n---\nThree "),
    ("bluesky", "a" * 250 + "\n---\n" + "b" * 250),
    ("mastodon", "Hi @bob@example.social\n---\nhttps://example.test/" + "x" * 90),
    ("linkedin", "a" * 1600 + "\n---\n" + "b" * 1600),  # no threads: joined
    ("email", "Subject\n---\nBody"),
    ("x", "no separator at all"),
]


def test_js_measures_each_thread_part_as_python_does(page):
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(SCRIPT))
    got = page.evaluate(
        "rows => rows.map(r => AdLoopCharcount.measureCopy(r[0], r[1], null).parts)",
        [list(row) for row in THREADS],
    )
    want = [
        [asdict(measure(network, part)) for part in parts_for(network, text)]
        for network, text in THREADS
    ]
    assert got == want


BODY_FORM = """
<form>
  <textarea id="id_topic">Sourdough Tuesday</textarea>
  <textarea id="id_body"></textarea>
  <ul data-charcount-channels="id_body" data-charcount-fallback="id_topic">
    <li data-charcount-account="1" data-charcount-network="bluesky"
        data-charcount-max="300"><output></output></li>
    <li data-charcount-account="2" data-charcount-network="x"
        data-charcount-max="280"><output></output></li>
    <li data-charcount-account="3" data-charcount-network="mastodon"
        data-charcount-max="100"><output></output></li>
  </ul>
  <p data-charcount-none hidden>Tick one</p>
  <input type="checkbox" name="accounts" value="1" checked>
  <input type="checkbox" name="accounts" value="2">
  <input type="checkbox" name="add_to_campaign" value="3">
</form>
"""


def test_the_post_body_counts_for_each_ticked_channel(page):
    page.set_content(BODY_FORM)
    page.add_script_tag(path=str(SCRIPT))
    bluesky, x, mastodon = (
        page.locator(f'[data-charcount-account="{n}"]') for n in (1, 2, 3)
    )
    # Empty body: the topic is what goes out.
    assert bluesky.locator("output").text_content() == (
        "17 / 300 graphemes · 17 / 3000 bytes (the topic)"
    )
    assert x.is_hidden() and mastodon.is_hidden()
    page.fill("#id_body", "a" * 301)
    out = bluesky.locator("output")
    assert out.text_content() == "301 / 300 graphemes · 301 / 3000 bytes"
    assert "is-over" in (out.get_attribute("class") or "")
    page.check('input[value="2"]')
    page.check('input[value="3"]')
    assert x.locator("output").text_content() == "301 / 280 weighted chars"
    # The account's own limit (a Mastodon instance of 100).
    assert mastodon.locator("output").text_content() == "301 / 100 graphemes"
    page.fill("#id_body", "Short.\n---\n" + "b" * 120)
    assert x.locator("output").text_content() == "Part 2 of 2: 120 / 280 weighted chars"
    assert (
        mastodon.locator("output").text_content() == "Part 2 of 2: 120 / 100 graphemes"
    )
    for box in ("1", "2", "3"):
        page.uncheck(f'input[value="{box}"]')
    assert page.locator("[data-charcount-none]").is_visible()
