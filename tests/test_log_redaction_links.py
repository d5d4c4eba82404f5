"""Links whose path is the credential never reach a log line: password-reset
and invitation links (as an email or an access log would carry them), the
calendar feed and the newsletter's confirm and unsubscribe links."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.logging import RedactSecretsFilter, redact
from workspaces.models import Role
from workspaces.services.invitations import invitation_create


def test_a_real_password_reset_link_loses_its_token(tenant) -> None:
    user = tenant.editor
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    line = f"mail to {user.email}: https://adloop.example/password-reset/{uid}/{token}/"
    cleaned = redact(line)
    assert token not in cleaned
    assert f"/password-reset/{uid}/[redacted]/" in cleaned
    assert f"GET /reset/{uid}/[redacted]/ 200" == redact(
        f"GET /reset/{uid}/{token}/ 200"
    )


def test_a_real_invitation_link_loses_its_token(tenant, caplog) -> None:
    issued = invitation_create(
        organization=tenant.workspace.organization,
        workspace=tenant.workspace,
        email="new.person@example.test",
        role=Role.EDITOR,
        invited_by=tenant.owner,
        send=False,
    )
    logger = logging.getLogger("adloop.test.links")
    logger.addFilter(RedactSecretsFilter())
    try:
        with caplog.at_level(logging.INFO, logger="adloop.test.links"):
            logger.info(
                "invite link %s", f"http://testserver/invitations/{issued.token}/"
            )
    finally:
        logger.filters.clear()
    assert issued.token not in caplog.text
    assert "/invitations/[redacted]/" in caplog.text


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /calendar/feed/Zx9-abcDEF123456.ics 200", "Zx9-abcDEF123456"),
        ("GET /newsletter/confirm/AbC123:1t2u3v:sigSIG/ 302", "AbC123:1t2u3v:sigSIG"),
        ("GET /u/AbCdEf123456:sigSIGsig 200", "AbCdEf123456:sigSIGsig"),
    ],
)
def test_other_token_links_are_masked(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned and "[redacted]" in cleaned


@pytest.mark.parametrize(
    "line",
    [
        "POST /settings/invitations/42/revoke/ 302",
        "GET /password-reset/sent/ 200",
        "GET /password-reset/complete/ 200",
        "POST /calendar/feed/reset/ 302",
        "GET /password-reset/MQ/set-password/ 200",
    ],
)
def test_pages_without_a_secret_are_left_alone(line: str) -> None:
    assert redact(line) == line


def test_gunicorns_access_log_is_redacted(tmp_path) -> None:
    """run_all's web process (and the README's gunicorn command) log each request
    line; a reset link opened in a browser must not leave its token there."""
    from gunicorn.config import Config

    from config.gunicorn_logging import RedactingLogger

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    logger = RedactingLogger(cfg)
    token = "c5k1ab-0123456789abcdef0123456789abcdef"
    atoms = {"h": "203.0.113.9", "r": f"GET /password-reset/MQ/{token}/ HTTP/1.1"}
    logger.access_log.info("%(h)s %(r)s", atoms)
    for handler in logger.access_log.handlers:
        handler.flush()
    written = log_file.read_text()
    assert "/password-reset/MQ/[redacted]/" in written
    assert token not in written
