"""Every page says what the browser may load and do: a Content-Security-Policy
with a fresh nonce per response (carried by the page's script tags), no inline
styles or scripts allowed, and a Permissions-Policy that denies the hardware."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in header.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def test_pages_carry_a_strict_policy_with_a_fresh_nonce_per_response(
    tenant, web
) -> None:
    client = web(tenant.owner, tenant.workspace)
    nonces = []
    for _ in range(2):
        answer = client.get("/campaigns/")
        assert answer.status_code == 200
        policy = _directives(answer["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["connect-src"] == ["'self'"]
        assert sorted(policy["img-src"]) == sorted(["'self'", "data:", "blob:"])
        (nonce,) = [s for s in policy["script-src"] if s.startswith("'nonce-")]
        assert "'unsafe-inline'" not in policy["script-src"]
        value = nonce[len("'nonce-") : -1]
        html = answer.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all(f'nonce="{value}"' in tag for tag in scripts)
        nonces.append(value)
    assert nonces[0] != nonces[1]


def test_sign_in_page_is_covered_and_denies_browser_features(db, static_files) -> None:
    answer = Client().get("/login/")
    assert "Content-Security-Policy" in answer
    features = dict(
        item.strip().split("=", 1) for item in answer["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"


def test_oauth_pages_may_send_forms_to_the_networks_sign_in(tenant, web) -> None:
    """The connect buttons POST and are redirected to the network (any Mastodon
    instance); other pages keep form-action to this origin."""
    client = web(tenant.owner, tenant.workspace)
    channels = _directives(client.get("/channels/")["Content-Security-Policy"])
    assert channels["form-action"] == ["'self'", "https:"]
    assert channels["style-src"] == ["'self'"]


def test_api_docs_load_swagger_from_this_origin_without_inline_script(db) -> None:
    answer = Client().get("/api/docs/")
    assert answer.status_code == 200
    policy = _directives(answer["Content-Security-Policy"])
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    html = answer.content.decode()
    assert "<script>" not in html  # the start-up script is a file (?script)
    assert Client().get("/api/docs/?script").status_code == 200


@pytest.mark.parametrize(
    "pattern",
    [
        r"\sstyle=",  # inline style attributes: style-src 'self' refuses them
        r"<style\b",
        r"<script>",  # inline scripts (no src)
        r"\son[a-z]+=",  # inline event handlers
        r"javascript:",
        r"hx-on",  # htmx's inline handlers need eval, which is off
    ],
)
def test_templates_hold_no_inline_code_the_policy_would_block(pattern: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*.html")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not offenders, offenders
