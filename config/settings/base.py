"""Where AdLoop keeps its data, DEBUG, the secrets, and Django's own
settings: apps, middleware, templates, the database, sign-in, static files.

Every other part imports DEBUG and VAR_DIR from here.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ADLOOP_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
# Off unless asked for: the run command turns it on for the local demo.
DEBUG = env_bool("DEBUG", False)


def _secret(name: str, *, dev_file: str, nbytes: int = 50) -> str:
    """Read a secret; in development generate it once into var/ and keep it.

    Keeping it in a file (not regenerating per start) means sessions and signed
    links survive a restart of the demo.
    """
    value = env_str(name)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} must be set when DEBUG is false "
            f"(or set DEBUG=true to generate a development value in var/)"
        )
    path = VAR_DIR / dev_file
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = _secret("SECRET_KEY", dev_file="secret_key")
# Key(s) for encrypting channel credentials at rest, newest first, comma separated.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in _secret("FIELD_ENCRYPTION_KEY", dev_file="field_encryption_key").split(",")
    if k.strip()
]

# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    # Two-factor sign-in (workspaces/twofactor.py): TOTP apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Bottom up, as the layers in pyproject.toml ([tool.importlinter]) run.
    "workspaces",
    "events",
    "connections",
    "campaigns",
    "content",
    "publishing",
    "analytics",
    "workflow",
    "demo",
]

MIDDLEWARE = [
    # First: drops proxy headers a client sent itself, before anything reads them.
    "core.client_address.TrustedProxyHeadersMiddleware",
    # Then: every later middleware's log lines carry the request id, and the
    # latency covers everything below.
    "config.middleware.RequestIdMiddleware",
    "config.middleware.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages, not static files: Content-Security-Policy and Permissions-Policy.
    "config.csp.AdLoopCSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A member of an organization that requires two-factor, not yet enrolled,
    # reaches only the enrolment page (and sign-out) until they are.
    "workspaces.twofactor_middleware.TwoFactorEnforcementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "workspaces.middleware.CurrentWorkspaceMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaigns.context_processors.workspace",
                "demo.context_processors.demo_inbox",
            ],
        },
    },
]

# https://docs.djangoproject.com/en/5.2/ref/databases/
# DATABASE_URL switches to PostgreSQL (postgres://user:pass@host:5432/name).
_default_db = f"sqlite:///{VAR_DIR / 'adloop.sqlite3'}"
DATABASES = {
    "default": environ.Env.db_url_config(env_str("DATABASE_URL") or _default_db)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and scheduler share one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock at BEGIN (no deadlocking upgrades),
    # and the timeout waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The test database is a file so a real worker process can see it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(
            VAR_DIR / f"test_adloop{env_str('PYTEST_XDIST_WORKER', '')}.sqlite3"
        )
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "campaigns.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# The name authenticator apps show next to the account (workspaces/twofactor.py).
OTP_TOTP_ISSUER = "AdLoop"
_PV = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_PV}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_PV}.MinimumLengthValidator"},
    {"NAME": f"{_PV}.CommonPasswordValidator"},
    {"NAME": f"{_PV}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve from the finders when collectstatic has not run (demo, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
# Bodies above this answer 413 in the API's error format.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
