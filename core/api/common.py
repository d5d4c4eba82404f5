"""What every API endpoint shares: the error format, pagination, throttling and
strict input serializers.

DRF's settings import this module while `rest_framework.views` is still being
imported, so it must not import views (see `workspaces.api.base` for those).

Every 4xx/5xx answers `{"error": {"code", "message", "fields"}}`:
`code` is stable and machine-readable, `message` is for a person, `fields` maps a
field name to its messages (empty when the error is not about a field).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers, status, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api.input_types import type_errors
from core.client_address import address_digest, client_address
from core.errors import ConflictError

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for i, item in enumerate(detail):
                for k, v in _flatten(
                    item, f"{prefix}.{i}" if prefix else str(i)
                ).items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_response(
    code: str,
    message: str,
    status_code: int,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return Response({"error": body}, status=status_code, headers=headers)


def _service_error(exc: Exception) -> Response | None:
    """The answer to an error Django or the services raise that DRF does not
    know (a body too large, a model's ValidationError, a ConflictError)."""
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            "request_too_large",
            "The request body is larger than this server accepts.",
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        fields = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return error_response(
            "invalid",
            "The request has invalid fields.",
            status.HTTP_400_BAD_REQUEST,
            fields,
        )
    if isinstance(exc, ConflictError):
        return error_response(exc.code, str(exc), status.HTTP_409_CONFLICT, **exc.extra)
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map every error to the one format; unexpected errors become a plain 500."""
    direct = _service_error(exc)
    if direct is not None:
        return direct
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # A row another request deleted while this one worked on it.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # The services' reason (e.g. "A person must approve: …") is the answer.
        exc = exceptions.PermissionDenied(str(exc) or None)

    # Imported here: `rest_framework.views` reads the throttle and pagination
    # settings, which point back at this module, while it is being imported.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return error_response(
            "server_error",
            "Something went wrong on our side; it has been logged.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    headers = {
        k: v
        for k, v in response.items()
        if k in ("Retry-After", "WWW-Authenticate", "Allow")
    }
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            "invalid",
            "The request has invalid fields.",
            response.status_code,
            _flatten(exc.detail),
            headers,
        )
    detail = exc.detail
    message = str(detail) if not isinstance(detail, dict | list) else "Request failed."
    code = (
        exc.get_codes()
        if not isinstance(exc.get_codes(), dict | list)
        else exc.default_code
    )
    return error_response(str(code), message, response.status_code, None, headers)


class Pagination(pagination.LimitOffsetPagination):
    """`?limit=&offset=`; 50 by default, 200 at most."""

    default_limit = 50
    max_limit = 200


class CallerRateThrottle(throttling.SimpleRateThrottle):
    """One budget per API key (or per signed-in person, or per client address).

    Counters live in the default cache: Redis in production, so every web process
    shares them. Exceeding it answers 429 with Retry-After.
    """

    scope = "caller"

    def get_rate(self) -> str | None:
        # DRF copies the rates into a class attribute at import time; reading
        # them here lets a deployment (or a test) change them with the settings.
        # The stubs type the rates as numbers; DRF's are strings ("120/min").
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        principal = request.user
        if principal is not None and principal.is_authenticated:
            # A principal that is not a person (an API key) names its own budget,
            # so core needs to know no model: people share `user:<pk>`.
            ident = getattr(principal, "throttle_ident", None) or f"user:{principal.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: Request) -> str:
        # DRF's own believes any client's X-Forwarded-For (a new budget per
        # made-up header) and keeps the raw address in the cache key: the one
        # TRUSTED_PROXIES rule instead, hashed.
        return address_digest(client_address(request._request), "api-throttle")


class StrictSerializer(serializers.Serializer[Any]):
    """Input serializer that refuses fields it does not know.

    A typo in a field name must be an error, not a silently ignored value, and
    a value of the wrong JSON type (`{"enabled": 0}`) an error, not coerced
    (see `core.api.input_types`).
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}
                )
        if wrong := type_errors(self.fields, data):
            raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class BlankAsNullURLField(serializers.URLField):
    """A URL the model may leave blank: read as null, not `""`.

    The schema says `format: uri`, and `""` is not one; null (with `nullable`
    in the schema) is the honest answer for "no URL".
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    # The stubs say a URL field represents as `str`; null for blank is this
    # field's point.
    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]  # see above
        return value or None

    def to_internal_value(self, data: Any) -> str:
        return "" if data is None else super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": "^[-a-zA-Z0-9_]*$"})
class BlankableSlugField(serializers.SlugField):
    """A slug the model may leave blank: the schema's pattern admits `""`."""


class ModelSerializer(serializers.ModelSerializer[Any]):
    """The API's model serializer: what a blank model field reads as matches
    the schema (a blank URL is null, a blank slug `""` within the pattern)."""

    def build_standard_field(self, field_name: str, model_field: Any) -> Any:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.URLField) and model_field.blank:
            field_class = BlankAsNullURLField
        elif isinstance(model_field, models.SlugField) and model_field.blank:
            field_class = BlankableSlugField
        return field_class, kwargs
