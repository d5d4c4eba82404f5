"""In a real browser: sign in, switch workspace, create an API key and see it once."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.factories import PASSWORD, UserFactory, WorkspaceFactory
from workspaces.models import ApiKey, Membership, Role

pytestmark = pytest.mark.e2e


def _mara_in_two_workspaces():
    """Two workspaces of two organizations, so switching has somewhere to go;
    returns the second, where her new key must land."""
    first = WorkspaceFactory(name="Alpine Outfitters", organization__name="A Agency")
    second = WorkspaceFactory(name="Bay Bakery", organization__name="B Studio")
    person = UserFactory(email="mara@example.test", first_name="Mara")
    for workspace in (first, second):
        Membership.objects.create(
            user=person,
            organization=workspace.organization,
            workspace=workspace,
            role=Role.ADMIN,
        )
    return second


def test_the_sign_in_page_loads_the_hashed_static_files(live_server, page, screenshot):
    static = []
    page.on(
        "response",
        lambda r: static.append((r.url, r.status)) if "/static/" in r.url else None,
    )
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    # The stylesheet and HTMX load under their hashed names, as in production.
    assert {s for _, s in static} == {200}, static
    assert any(re.search(r"/css/app\.\w{12}\.css$", u) for u, _ in static), static
    card_radius = page.evaluate(
        "getComputedStyle(document.querySelector('.auth-card')).borderRadius"
    )
    assert card_radius == "10px", "app.css did not apply"
    screenshot("1-sign-in")


def _create_a_read_key(page, url: str) -> None:
    """Through the menus, as a person finds the page, not by its address."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Settings"
    ).click()
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="API keys"
    ).click()
    page.wait_for_url(f"{url}/settings/api-keys/")
    page.get_by_label("Name").fill("Weekly report")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create key").click()


def test_sign_in_switch_workspace_and_see_a_new_api_key_once(
    live_server, page, screenshot
):
    second = _mara_in_two_workspaces()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill("Mara@Example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.get_by_role("heading", level=1).inner_text() == "Alpine Outfitters"
    screenshot("2-dashboard")

    page.locator("details.switcher summary").click()
    screenshot("3-switcher", full_page=False)
    page.get_by_role("button", name="Bay Bakery").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Bay Bakery"
    assert "Switched to Bay Bakery." in page.locator("#messages").inner_text()

    _create_a_read_key(page, live_server.url)

    secret_box = page.locator("[data-secret]")
    secret_box.wait_for()
    secret = secret_box.inner_text().strip()
    assert re.fullmatch(r"adl_[0-9a-f]{8}_[\w-]{43}", secret)
    # HTMX swapped the panel in place: the address is still the list's.
    assert page.url == f"{live_server.url}/settings/api-keys/"
    screenshot("4-key-shown-once")

    key = ApiKey.objects.get(name="Weekly report")
    assert key.workspace == second
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()

    page.reload()
    assert page.get_by_role("cell", name="Weekly report").is_visible()
    assert secret not in page.content()
    assert page.locator("[data-secret]").count() == 0
    screenshot("5-after-reload")

    # The narrow layout: the sidebar is a drawer behind the menu button.
    page.set_viewport_size({"width": 390, "height": 844})
    sidebar = page.locator("#sidebar")
    # The drawer slides out with a 0.2 s transition once the layout narrows:
    # wait for it to be off-screen (fails after 5 s if it stays).
    page.wait_for_function(
        "() => { const s = document.querySelector('#sidebar');"
        " if (!s) return true; const r = s.getBoundingClientRect();"
        " return r.x < 0 || (r.width === 0 && r.height === 0); }",
        timeout=5000,
    )
    assert not sidebar.is_visible() or sidebar.bounding_box()["x"] < 0
    page.get_by_role("button", name="Open navigation").click()
    page.wait_for_timeout(300)  # the slide-in transition
    assert sidebar.bounding_box()["x"] == 0
    screenshot("6-mobile-menu", full_page=False)
