"""gunicorn's own logs (access and error) through the same redaction as Django's.

gunicorn does not use Django's LOGGING: its access log writes every request
line, so a password-reset or invitation link opened in a browser would land in
it with its token. `gunicorn --logger-class config.gunicorn_logging.RedactingLogger`
(run_all passes it; the README's production command does too) adds the filter.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.logging import RedactSecretsFilter


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())
