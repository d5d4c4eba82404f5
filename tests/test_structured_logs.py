"""Production logs: one JSON object a line, carrying the request id (echoed to
the client as X-Request-ID) or the Celery task id, with secrets redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from config.celery import app
from config.logging import ContextFilter, JsonFormatter, RedactSecretsFilter

task_logger = logging.getLogger("adloop.tests.task")


@app.task(name="tests.log_from_a_task")
def log_from_a_task() -> None:
    task_logger.info("working on it")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Lines written as production writes them, by the loggers under test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecretsFilter())
    handler.addFilter(ContextFilter())
    loggers = [logging.getLogger(n) for n in ("django.request", task_logger.name)]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield stream
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_request_log_lines_are_json_with_the_echoed_request_id(
    db, static_files, json_lines
) -> None:
    answer = Client().get("/no-such-page/")
    request_id = answer["X-Request-ID"]
    assert len(request_id) == 32
    (record,) = _records(json_lines)
    assert record["level"] == "WARNING"
    assert record["logger"] == "django.request"
    assert record["message"] == "Not Found: /no-such-page/"
    assert record["request_id"] == request_id
    assert record["time"].endswith("+00:00")


def test_a_well_formed_incoming_request_id_is_kept_and_a_forged_one_replaced(
    db, static_files
) -> None:
    kept = Client().get("/login/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    assert kept["X-Request-ID"] == "lb-7f3a9c2e-0001"
    forged = Client().get("/login/", HTTP_X_REQUEST_ID='x" level=ERROR injected')
    assert forged["X-Request-ID"] != 'x" level=ERROR injected'
    assert len(forged["X-Request-ID"]) == 32
    assert Client().get("/login/")["X-Request-ID"] != kept["X-Request-ID"]


def test_a_tasks_log_lines_carry_its_task_id(json_lines) -> None:
    log_from_a_task.apply(task_id="task-0123456789")
    task_logger.info("after the task")
    first, after = _records(json_lines)
    assert first["message"] == "working on it"
    assert first["task_id"] == "task-0123456789"
    assert "task_id" not in after


def test_json_lines_redact_secrets_in_messages_extras_and_tracebacks(
    json_lines,
) -> None:
    try:
        raise RuntimeError('smtp said password="hunter2hunter2" was wrong')
    except RuntimeError:
        task_logger.exception(
            "login with token=abc.def.ghi failed",
            extra={"header": "Authorization: Bearer sk-live-abcdef123456"},
        )
    line = json_lines.getvalue()
    for secret in ("hunter2hunter2", "abc.def.ghi", "sk-live-abcdef123456"):
        assert secret not in line
    (record,) = _records(json_lines)  # still one parseable object
    assert "[redacted]" in record["message"]
    assert "[redacted]" in record["header"]
    assert "RuntimeError" in record["exc_info"]


def test_a_worker_keeps_the_json_logging_configuration() -> None:
    """Celery would otherwise swap the root handlers for its own text format."""
    assert app.conf.worker_hijack_root_logger is False
