"""Logging: secrets never reach a log line; each line says its request or task.

Values that look like credentials (bearer tokens, AdLoop API keys, `password=` or
`api_key=` pairs) are masked in the final message, whatever logger produced it.
In production each line is one JSON object (`JsonFormatter`) carrying the
request id or Celery task id it belongs to (`ContextFilter`).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

_PATTERNS = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"\badl_[A-Za-z0-9]+_[A-Za-z0-9_-]+"), "adl_[redacted]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|token|api[_-]?key|authorization)"
            r"(\"?\s*[:=]\s*\"?)([^\s\"',&]+)"
        ),
        r"\1\2[redacted]",
    ),
    # Links whose path is the credential (an email's link in a log line, an
    # access log): password reset (the uid stays, the token goes), invitations,
    # the calendar feed, newsletter confirmation and unsubscribe.
    (
        re.compile(
            r"(/(?:password-)?reset/[A-Za-z0-9_-]+/)(?!set-password/)[A-Za-z0-9:_-]+"
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"(/invitations/)(?!\d+/)[A-Za-z0-9_:.-]{8,}"), r"\1[redacted]"),
    (
        re.compile(r"(/calendar/feed/)(?!reset/)[A-Za-z0-9_:.-]+?(?=\.ics)"),
        r"\1[redacted]",
    ),
    (re.compile(r"(/newsletter/confirm/)[A-Za-z0-9_:.-]+"), r"\1[redacted]"),
    (re.compile(r"(/u/)[A-Za-z0-9_:.-]{8,}"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# The request or Celery task a log line belongs to: set by
# config.request_context.RequestIdMiddleware and config.celery's task signals,
# read by ContextFilter. Context variables, so threads and async tasks each see
# their own.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=""
)
task_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")


class ContextFilter(logging.Filter):
    """Put the current request id and task id on every record (empty outside
    one), so one request's or one task's lines can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        if not getattr(record, "task_id", ""):
            record.task_id = task_id_var.get()
        return True


# LogRecord attributes that are not a caller's `extra={...}` fields.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line (LOG_FORMAT=json, the default with DEBUG off).

    Keys: time (UTC, ISO 8601), level, logger, message, request_id and task_id
    when set, exc_info as text, and whatever `extra={...}` the caller passed.
    Every string goes through `redact` again: RedactSecretsFilter cleans the
    message, this also cleans tracebacks and extra fields, which it cannot see.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id"):
            value = getattr(record, key, "")
            if value:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # Redact values, not the encoded line: a pattern cutting through a JSON
        # escape would leave a line that no longer parses.
        return json.dumps(_redacted(entry), ensure_ascii=False)


def _redacted(value: Any) -> Any:
    """The value with every string in it redacted; what JSON cannot hold as
    is becomes its str() first."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class TextFormatter(logging.Formatter):
    """The human format (LOG_FORMAT=text, the default with DEBUG on), with the
    request or task id in brackets when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [
            f"{key}={value}"
            for key in ("request_id", "task_id")
            if (value := getattr(record, key, ""))
        ]
        return redact(f"{line} [{' '.join(ids)}]" if ids else line)
