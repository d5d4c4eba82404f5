"""Security headers, cookies, HSTS, Content-Security-Policy, the /metrics
token and how long invitation and reset links last.
"""

from __future__ import annotations

from csp.constants import NONCE, NONE, SELF

from config.env import env_bool, env_int, env_str
from config.settings.base import DEBUG

# Security. https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Believe a proxy's "this came over HTTPS" header only when told one sets it
# (e.g. X-Forwarded-Proto): otherwise any client could claim HTTPS. Requests
# from a peer outside TRUSTED_PROXIES (when that is set) have the header
# removed first (core.client_address.TrustedProxyHeadersMiddleware).
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_ssl_header.upper().replace("-", "_"),
        "https",
    )
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content-Security-Policy (django-csp; config/csp.py names the routes that
# differ): this origin's scripts (with the request's nonce) and styles only, no
# inline code, no plugins, no framing. https://django-csp.readthedocs.io/
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# GET /metrics (config/metrics.py; README, "Operating AdLoop"): Prometheus
# scrapes it with `Authorization: Bearer <METRICS_TOKEN>`. Unset: 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# Invitations and password-reset links stay valid this long.
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
