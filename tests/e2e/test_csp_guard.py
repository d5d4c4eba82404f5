"""The browser tests' CSP guard works: a page that breaks its policy is caught
(so a green e2e run means every page ran under the production policy), and
AdLoop's own pages with their nonced scripts break nothing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import watch_csp
from tests.e2e.signin import sign_in
from tests.factories import PASSWORD, BrandProfileFactory, UserFactory

pytestmark = pytest.mark.e2e

STRICT = "default-src 'self'; script-src 'self'; style-src 'self'"
BROKEN_PAGE = """<!doctype html><html><head><title>bad</title>
<style>body { color: red }</style></head>
<body><p style="margin: 1px">inline style</p>
<script>document.title = "inline script ran";</script></body></html>"""


def test_the_guard_catches_inline_style_and_script_under_a_strict_policy(browser):
    context = browser.new_context()
    try:
        violations = watch_csp(context)
        tab = context.new_page()
        tab.route(
            "http://csp-guard.test/**",
            lambda route: route.fulfill(
                status=200,
                headers={
                    "Content-Type": "text/html",
                    "Content-Security-Policy": STRICT,
                },
                body=BROKEN_PAGE,
            ),
        )
        tab.goto("http://csp-guard.test/")
        tab.wait_for_timeout(300)  # violation events are dispatched async
        assert tab.title() == "bad"  # the inline script was blocked
    finally:
        context.close()
    text = "\n".join(violations)
    assert "style-src" in text
    assert "script-src" in text


def test_signed_in_pages_run_their_scripts_under_the_policy(page, live_server, tenant):
    """The `page` fixture fails this test on any violation; here the scripts
    must also have run (the nonce and 'self' let them)."""
    sign_in(page, live_server.url, tenant.owner.email)
    page.goto(f"{live_server.url}/campaigns/")
    assert page.evaluate("typeof htmx") == "object"
    header = page.request.get(f"{live_server.url}/campaigns/").headers
    assert "content-security-policy" in header


def test_api_docs_render_swagger_ui_under_their_policy(page, live_server, screenshot):
    """Swagger UI (served from the sidecar package, no CDN) loads the schema and
    lists the operations with no violation of the docs page's policy."""
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    screenshot("swagger")


def test_server_computed_styles_apply_without_style_attributes(
    page, live_server, tenant
):
    """Brand colours arrive as data attributes and are painted through the
    CSSOM (app.js): the swatches show their colours, with no violation."""
    BrandProfileFactory(workspace=tenant.workspace, colours=["#ff0000", "#00ff00"])
    sign_in(page, live_server.url, tenant.owner.email)
    page.goto(f"{live_server.url}/brands/")
    swatches = page.locator(".swatches .swatch")
    assert swatches.count() == 2
    colours = [
        swatches.nth(i).evaluate("el => getComputedStyle(el).backgroundColor")
        for i in range(2)
    ]
    assert colours == ["rgb(255, 0, 0)", "rgb(0, 255, 0)"]


def test_the_admin_works_under_the_policy(page, live_server):
    """Django's admin ships no inline code: its sign-in, list and add pages
    (with their widgets' scripts) run with no violation."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/channels/channelaccount/")
    page.goto(f"{live_server.url}/admin/channels/channelaccount/add/")
    assert page.locator("#channelaccount_form").count() == 1
