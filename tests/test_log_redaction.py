"""Secrets never reach a log line, whichever logger writes it."""

from __future__ import annotations

import logging

import pytest

from config.logging import RedactSecretsFilter, redact
from workspaces.services.api_keys import api_key_create


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Authorization: Bearer sk-live-abcdef123456", "sk-live-abcdef123456"),
        ("calling with api_key=sk-9999zzzz&x=1", "sk-9999zzzz"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
        ("smtp login token=abc.def.ghi failed", "abc.def.ghi"),
    ],
)
def test_redact_masks_credentials(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned
    assert "[redacted]" in cleaned


def test_redact_leaves_ordinary_text_alone():
    line = "published post 42 to mastodon in 120 ms"
    assert redact(line) == line


def test_adloop_api_key_is_masked_in_log_records(tenant, caplog):
    issued = api_key_create(
        organization=tenant.workspace.organization, name="ci", scope="read"
    )
    logger = logging.getLogger("adloop.test")
    logger.addFilter(RedactSecretsFilter())
    try:
        with caplog.at_level(logging.INFO, logger="adloop.test"):
            logger.info("client sent %s", issued.secret)
    finally:
        logger.filters.clear()
    assert issued.secret not in caplog.text
    assert "adl_[redacted]" in caplog.text


def test_json_log_lines_are_redacted_and_still_parse():
    """Production's JSON formatter: the message is redacted before encoding, so
    a secret next to a quote cannot break the line (or survive in it)."""
    import json

    from config.logging import JsonFormatter

    record = logging.makeLogRecord(
        {"msg": 'retry with token="abc"def and api_key=sk-9999zzzz', "levelno": 20}
    )
    RedactSecretsFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "sk-9999zzzz" not in line
    assert json.loads(line)["message"].count("[redacted]") == 2
