"""The editor's live counter (static/js/charcount.js) agrees with Python.

Runs the script in the real headless Chromium on the same table of cases as
tests/content/test_channel_rules.py and compares every field of the measure.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from content.channel_rules import RULES, measure
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
