"""The REST API (DRF) and its OpenAPI schema (drf-spectacular)."""

from __future__ import annotations

from config.env import env_str

# REST API. https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `adp_…` tokens act as their person; anything else is tried as a key.
        "workspaces.api.token_auth.PersonalAccessTokenAuthentication",
        "workspaces.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.common.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.common.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "caller": env_str("API_THROTTLE_RATE", "1200/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.common.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AdLoop API",
    "DESCRIPTION": (
        "Plan, write, illustrate, publish and measure marketing campaigns. "
        "Authenticate with `Authorization: Bearer <api key>` (a workspace key) "
        "or `Bearer <personal access token>` (acts as its person). Every error "
        "answers "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # 400/401/403/404/414/429 on every operation, 409/413/415 on writes.
        "core.api.schema_hooks.declare_common_errors",
        # Links from each create to the new object's operations (stateful).
        "core.api.schema_hooks.link_created_objects",
    ],
}
