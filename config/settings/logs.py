"""Log format and handlers: every line carries its request or task id,
secrets redacted.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_str
from config.settings.base import DEBUG

# "json": one JSON object a line (production's default, for a log pipeline);
# "text": one readable line (development's). Either way each line carries the
# request id or Celery task id, and secrets are redacted (config/logging.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json") or "json"
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
# A Celery worker keeps this configuration (JSON lines with the task id)
# instead of replacing the root logger's handlers with its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "config.logging.RedactSecretsFilter"},
        "context": {"()": "config.logging.ContextFilter"},
    },
    "formatters": {
        "text": {
            "()": "config.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "context"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
