"""OpenAPI pieces every endpoint shares: the error body and its responses.

Each view lists the error statuses it can answer with `errors(...)`, so the
published schema says which failures a client must handle, all in one format.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="Stable, machine-readable: `invalid`, `not_authenticated`, "
        "`authentication_failed`, `permission_denied`, `not_found`, `conflict`, "
        "`method_not_allowed`, `parse_error`, `unsupported_media_type`, "
        "`request_too_large`, `uri_too_long`, `throttled`, `server_error`."
    )
    message = serializers.CharField(help_text="For a person to read.")
    # A declared field named like Serializer.fields: the metaclass moves it out
    # of the class namespace, so the property stays (the schema only reads it).
    fields = serializers.DictField(  # type: ignore[assignment]  # see above
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name → its messages; empty when no field is at fault.",
    )


class ErrorResponseSerializer(serializers.Serializer[Any]):
    """`{"error": {"code", "message", "fields"}}`: the body of every 4xx/5xx."""

    error = ErrorBodySerializer()


_DESCRIPTIONS = {
    400: "Invalid input (including malformed JSON); `fields` names each bad "
    "field. Nothing was changed.",
    401: "No credentials, or an unknown or revoked API key or personal access token.",
    403: "The object is visible to the caller but the action is not allowed "
    "(a read key writing, an editor managing members, a key minting keys).",
    404: "No such object, or it belongs to a workspace the caller cannot see.",
    409: "Valid in form but conflicts with the current state.",
    413: "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.",
    414: "The query string is longer than 2048 characters.",
    415: "The body is not `application/json`.",
    429: "Too many requests; retry after `Retry-After` seconds.",
}

_EXAMPLES = {
    400: {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "fields": {"name": ["This field is required."], "colour": ["Unknown field."]},
    },
    401: {
        "code": "authentication_failed",
        "message": "Invalid or revoked API key.",
        "fields": {},
    },
    403: {
        "code": "permission_denied",
        "message": "You do not have permission to perform this action.",
        "fields": {},
    },
    404: {"code": "not_found", "message": "Not found.", "fields": {}},
    409: {
        "code": "conflict",
        "message": "The last owner of an organization cannot be removed.",
        "fields": {},
    },
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema responses for these error statuses (401 and 429 always apply)."""
    out: dict[int, OpenApiResponse] = {}
    for code in sorted({*codes, 401, 429}):
        example = _EXAMPLES.get(code)
        out[code] = OpenApiResponse(
            ErrorResponseSerializer,
            description=_DESCRIPTIONS[code],
            examples=(
                [OpenApiExample(f"error {code}", value={"error": example})]
                if example
                else []
            ),
        )
    return out


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the next request.",
)

WORKSPACE_FILTER = OpenApiParameter(
    "workspace",
    OpenApiTypes.STR,
    description="A workspace id (12) or slug (acme).",
)
