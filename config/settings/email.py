"""Mail: SMTP when EMAIL_HOST is set; production refuses the console."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import DEBUG

# Email. https://docs.djangoproject.com/en/5.2/topics/email/
# EMAIL_HOST switches to SMTP. Without it: the console in development; in
# production start-up stops (password-reset and invitation links printed to the
# console would land in the logs) unless EMAIL_DISABLED=true says mail is off,
# and then nothing is sent or printed. A set EMAIL_HOST always sends.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_DISABLED = env_bool("EMAIL_DISABLED", False)
if not EMAIL_HOST and not EMAIL_DISABLED and not DEBUG:
    raise ImproperlyConfigured(
        "EMAIL_HOST must be set when DEBUG is false: invitations and password "
        "resets are mailed (or set EMAIL_DISABLED=true to turn mail off)"
    )
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif EMAIL_DISABLED:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AdLoop <noreply@adloop.local>")
