"""Browser fixtures: one headless Debian Chromium per session, a fresh page per test.

Without /usr/bin/chromium the browser tests skip with the reason, except under
CI=true where they fail: CI must never go green by not running them.
Install it with `apt-get install -y chromium chromium-driver` (never
`playwright install`: the tests use the system browser, offline).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import testenv

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session", autouse=True)
def _whitenoise_serves_static(static_files: Path) -> Iterator[None]:
    """Let WhiteNoise, not the test server's helper, answer /static/.

    pytest-django's live_server wraps the site in Django's StaticFilesHandler,
    which answers /static/ from the finders before any middleware runs and so
    cannot serve the manifest's hashed names that production pages link to.
    Handing those requests to the site makes the browser load CSS and scripts
    exactly as in production: WhiteNoise, from the collected files.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StaticFilesHandler, "_should_handle", lambda self, path: False)
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver "
            "(browser tests use Debian's Chromium, never `playwright install`)"
        )
        if testenv.CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make between browser steps are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


# Reports every Content-Security-Policy violation of every page of the context
# to the test (the listener is injected by the browser driver, so the policy
# itself cannot block it), across navigations.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__adloopCspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
    `at ${e.sourceFile || document.location.href}:${e.lineNumber} ${e.sample || ""}`
  );
});
"""


def watch_csp(context: BrowserContext) -> list[str]:
    """Start collecting the context's CSP violations; returns the live list.

    Both the DOM's `securitypolicyviolation` events and the console's "Refused
    to ..." errors count (some violations show only in one of the two).
    """
    violations: list[str] = []

    def report(text: str) -> None:
        violations.append(text)

    context.expose_function("__adloopCspViolation", report)
    context.add_init_script(_CSP_LISTENER)

    def console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            violations.append(f"console: {text}")

    context.on("console", console)
    return violations


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (cookies, storage) per test, 1280x800, short timeouts.

    The test fails if any page broke the Content-Security-Policy: the UI must
    work under the production policy, not merely load.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    violations = watch_csp(context)
    tab = context.new_page()
    yield tab
    context.close()
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n"
            + "\n".join(sorted(set(violations))),
            pytrace=False,
        )


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest):
    """`screenshot("step")` → tests/e2e/artifacts/<test>-<step>.png (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(step: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
