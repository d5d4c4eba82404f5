"""In a real browser: generate copy variants through the real worker (offline
provider), see them in channel tabs with live counters, edit one and watch the
counter move, stream a variant and see its text arrive."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from content.models import Generation, Variant
from tests.factories import (
    PASSWORD,
    ChannelAccountFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from tests.realservices import CeleryWorker
from workspaces.models import Role

pytestmark = pytest.mark.e2e


def _sign_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")


def _a_post_on_x_and_mastodon():
    """Two networks, so each tab's variants and counter are its own."""
    workspace = WorkspaceFactory(name="Bay Bakery")
    editor = member(workspace, Role.EDITOR, email="eda@example.test")
    accounts = [
        ChannelAccountFactory(
            workspace=workspace, network=network, name=f"Bakery {network}"
        )
        for network in ("x", "mastodon")
    ]
    post = PostFactory(
        campaign__workspace=workspace,
        topic="Sourdough Tuesday",
        accounts=accounts,
        link="https://example.test/sourdough",
    )
    return editor, post


def test_generate_edit_and_stream_variants_in_the_post_editor(
    live_server, page, screenshot, celery_worker: CeleryWorker, settings
):
    # One piece: one browser session walks generate, edit and stream; each step
    # needs the previous one's state (X's variants after Mastodon's, the edit
    # on a generated variant, the streamed one labelled after A and B).
    settings.LLM_PROVIDER = "offline"
    editor, post = _a_post_on_x_and_mastodon()
    _sign_in(page, live_server.url, editor.email)

    page.goto(f"{live_server.url}/posts/{post.pk}/")
    panel = page.locator("#variants-panel")
    expect(panel.get_by_text("Offline draft (rules, no AI)").first).to_be_visible()
    # Tabs in name order: Mastodon first. Generate there: Mastodon only.
    mastodon_tab = panel.get_by_role("tab", name=re.compile("^Mastodon"))
    expect(mastodon_tab).to_have_attribute("aria-selected", "true")
    m_panel = panel.locator("#tabpanel-mastodon")
    m_panel.get_by_label("Count").fill("2")
    m_panel.get_by_role("button", name="Generate Mastodon variants").click()
    expect(panel.locator("progress")).to_be_attached()
    screenshot("1-progress")

    # The worker writes them; the polled progress bar swaps in the panel.
    panel = page.locator("#variants-panel")
    expect(panel.get_by_text("Done:")).to_be_visible(timeout=60_000)
    celery_worker.assert_running()
    assert Generation.objects.get(post=post).status == "succeeded"
    expect(panel.locator("#tabpanel-mastodon [data-variant]")).to_have_count(2)
    assert not Variant.objects.filter(post=post, network="x").exists()
    mastodon_before = list(
        Variant.objects.filter(post=post, network="mastodon")
        .order_by("pk")
        .values_list("pk", "label", "text")
    )

    # Then on X's tab: X gets its variants, Mastodon's tab stays as it was.
    x_tab = panel.get_by_role("tab", name=re.compile("^X"))
    x_tab.click()
    expect(x_tab).to_have_attribute("aria-selected", "true")
    x_panel = panel.locator("#tabpanel-x")
    expect(x_panel.get_by_text("No variants for X yet.")).to_be_visible()
    x_panel.get_by_label("Count").fill("2")
    x_panel.get_by_role("button", name="Generate X variants").click()
    expect(panel.locator("progress")).to_be_attached()
    panel = page.locator("#variants-panel")
    expect(panel.get_by_text("Done:")).to_be_visible(timeout=60_000)
    x_tab = panel.get_by_role("tab", name=re.compile("^X"))
    expect(x_tab).to_have_attribute("aria-selected", "true")  # kept across swaps
    x_panel = panel.locator("#tabpanel-x")
    expect(x_panel.locator("[data-variant]")).to_have_count(2)
    expect(panel.locator("#tabpanel-mastodon")).to_be_hidden()
    expect(panel.locator("#tabpanel-mastodon [data-variant]")).to_have_count(2)
    mastodon_after = list(
        Variant.objects.filter(post=post, network="mastodon")
        .order_by("pk")
        .values_list("pk", "label", "text")
    )
    assert mastodon_after == mastodon_before
    screenshot("2-variants")

    # Live counter in X's measure: a URL counts 23 whatever its length.
    variant = Variant.objects.filter(post=post, network="x").order_by("label")[0]
    field = page.locator(f"#variant-text-{variant.pk}")
    counter = page.locator(f'[data-charcount-for="variant-text-{variant.pk}"]')
    expect(counter).to_contain_text("/ 280 weighted chars")
    field.fill("Fresh loaves https://example.test/a/very/long/path/to/the/bakery")
    expect(counter).to_have_text("36 / 280 weighted chars")
    field.fill("x" * 300)
    expect(counter).to_have_class(re.compile("is-over"))
    field.fill("Fresh loaves at dawn #Sourdough")
    expect(counter).to_have_text("31 / 280 weighted chars")
    x_panel.locator(f"#variant-{variant.pk}").get_by_role(
        "button", name="Save text"
    ).click()
    panel = page.locator("#variants-panel")
    expect(panel.get_by_text(f"Variant {variant.label} saved.")).to_be_visible()
    variant.refresh_from_db()
    assert variant.text == "Fresh loaves at dawn #Sourdough"
    expect(panel.get_by_text("Edit history (1)")).to_be_visible()
    screenshot("3-edited")

    # Stream one for Mastodon: text arrives, then the panel shows variant C.
    mastodon_tab = panel.get_by_role("tab", name=re.compile("^Mastodon"))
    mastodon_tab.click()
    m_panel = panel.locator("#tabpanel-mastodon")
    expect(m_panel).to_be_visible()
    m_panel.get_by_role("button", name="Stream a variant").click()
    out = m_panel.locator("[data-stream-out]")
    expect(out).not_to_be_empty()
    expect(m_panel.get_by_text("Variant C saved.")).to_be_visible(timeout=30_000)
    screenshot("4-streamed")
    panel = page.locator("#variants-panel")
    expect(panel.locator("#tabpanel-mastodon [data-variant]")).to_have_count(3)
    expect(panel.get_by_role("tab", name=re.compile("^Mastodon"))).to_have_attribute(
        "aria-selected", "true"
    )
    streamed = Variant.objects.get(post=post, network="mastodon", label="C")
    assert streamed.provider == "offline" and streamed.generation.options["stream"]
    screenshot("5-after-stream")


def _a_post_with_a_variant_over_bluesky():
    """A post on Bluesky with Mastodon (its instance's own 100-grapheme limit)
    on offer, and a variant one grapheme over Bluesky's 300."""
    workspace = WorkspaceFactory(name="Bay Bakery")
    editor = member(workspace, Role.EDITOR, email="eda@example.test")
    bluesky = ChannelAccountFactory(
        workspace=workspace, network="bluesky", name="Bakery Bluesky"
    )
    mastodon = ChannelAccountFactory(
        workspace=workspace,
        network="mastodon",
        name="Bakery Mastodon",
        limits={"max_length": 100},  # the instance's own
    )
    post = PostFactory(
        campaign__workspace=workspace, topic="Sourdough Tuesday", accounts=[bluesky]
    )
    post.campaign.channels.add(bluesky, mastodon)
    over = Variant.objects.create(
        workspace=workspace, post=post, network="bluesky", label="A", text="a" * 301
    )
    return editor, bluesky, mastodon, post, over


def test_limits_in_the_editor_body_counter_badge_and_choose(
    live_server, page, screenshot
):
    """The post body counts per ticked channel account, live, in each network's
    measure and the account's own limit; a variant over Bluesky's limit lists
    the problem in its badge and cannot be chosen."""
    editor, bluesky, mastodon, post, over = _a_post_with_a_variant_over_bluesky()
    _sign_in(page, live_server.url, editor.email)
    page.goto(f"{live_server.url}/posts/{post.pk}/")

    counters = page.locator("[data-charcount-channels]")
    on_bluesky = counters.locator(f'[data-charcount-account="{bluesky.pk}"] output')
    on_mastodon = counters.locator(f'[data-charcount-account="{mastodon.pk}"]')
    # The topic goes out while the body is empty.
    expect(on_bluesky).to_have_text(re.compile(r"^17 / 300 graphemes.*\(the topic\)"))
    expect(on_mastodon).to_be_hidden()
    body = page.get_by_label("Draft copy")
    body.fill("Fresh loaves at dawn. " * 14)  # 307 graphemes once trimmed
    expect(on_bluesky).to_have_text(re.compile(r"^307 / 300 graphemes"))
    expect(on_bluesky).to_have_class(re.compile("is-over"))
    page.get_by_role("checkbox", name=re.compile("Bakery Mastodon")).check()
    expect(on_mastodon).to_be_visible()
    expect(on_mastodon.locator("output")).to_have_text("307 / 100 graphemes")
    body.fill("Fresh loaves at dawn.")
    expect(on_bluesky).to_have_text(re.compile(r"^21 / 300 graphemes"))
    expect(on_bluesky).not_to_have_class(re.compile("is-over"))
    body.fill("Fresh loaves at dawn. " * 14)
    counters.scroll_into_view_if_needed()
    screenshot("1-body-counters", full_page=False)

    card = page.locator(f"#variant-{over.pk}")
    checks = card.locator("[data-checks]")
    expect(checks).to_contain_text("Does not fit Bluesky")
    expect(checks).to_contain_text("Too long for Bluesky: 301 of 300 graphemes")
    expect(checks).not_to_contain_text("Passes")
    choose = card.get_by_role("button", name="Choose")
    expect(choose).to_be_disabled()
    expect(card.locator(f"#choose-why-{over.pk}")).to_contain_text(
        "Cannot be chosen until it fits"
    )
    card.scroll_into_view_if_needed()
    screenshot("2-over-limit-variant", full_page=False)

    # Shortened to fit: the badge turns green and it can be chosen.
    field = card.locator(f"#variant-text-{over.pk}")
    field.fill("a" * 300)
    expect(card.locator(f'[data-charcount-for="variant-text-{over.pk}"]')).to_have_text(
        re.compile(r"^300 / 300 graphemes")
    )
    card.get_by_role("button", name="Save text").click()
    card = page.locator(f"#variant-{over.pk}")
    expect(card.locator("[data-checks]")).to_contain_text("Passes")
    card.get_by_role("button", name="Choose").click()
    expect(page.locator(f"#variant-{over.pk}")).to_contain_text("Chosen")
    over.refresh_from_db()
    assert over.status == "chosen"
    page.locator(f"#variant-{over.pk} [data-checks]").scroll_into_view_if_needed()
    screenshot("3-fits-and-chosen", full_page=False)
