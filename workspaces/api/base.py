"""The base of every API view: a size-limited JSON parser, the base view set,
the 404 for unknown addresses, and small lookup helpers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers, permissions, viewsets
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.request import Request
from rest_framework.response import Response

from workspaces.models import ApiKey, ApiKeyScope
from workspaces.permissions import KEY_CANNOT_APPROVE, Action, can, can_anywhere

READ_KEY_FORBIDDEN = "A read-only API key cannot change anything; use a write key."
ROLE_FORBIDDEN = "Your role does not allow this."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies above DATA_UPLOAD_MAX_MEMORY_SIZE.

    DRF reads the request stream itself, bypassing Django's size check on
    `request.body`, so without this an API client could post any amount of JSON
    into memory. The refusal is Django's own `RequestDataTooBig`, which the
    exception handler answers with 413.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
            declared = request.META.get("CONTENT_LENGTH") if request else None
            if declared and declared.isdigit() and int(declared) > limit:
                raise RequestDataTooBig("Request body exceeded the size limit.")
            # Content-Length may be absent (chunked): never read past the limit.
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise RequestDataTooBig("Request body exceeded the size limit.")
            stream = io.BytesIO(body)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads gives up on deeply nested arrays: bad input, not a 500.
            raise exceptions.ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None


# Longer query strings answer 414 in the error format. Below what the servers
# in front accept (gunicorn's request line stops at 4094 bytes), so the API,
# not the server's plain-text page, answers: the status is in the schema.
MAX_QUERY_STRING = 2048


class UriTooLong(exceptions.APIException):
    status_code = 414
    default_code = "uri_too_long"
    default_detail = (
        f"The query string is longer than {MAX_QUERY_STRING} characters; "
        "narrow the filters."
    )


class ApiViewSet(viewsets.GenericViewSet[Any]):
    """Base of every resource: JSON in (size-limited), JSON out."""

    parser_classes = [JSONParser]
    # No OPTIONS description: the schema (/api/schema/) is the description,
    # and DRF's would need a serializer some views do not have (a 500).
    # OPTIONS answers 405 with `Allow`, like any method a view lacks.
    metadata_class = None

    def _allowed_methods(self) -> list[str]:
        # View._allowed_methods exists at runtime; django-stubs leaves it out.
        allowed: list[str] = super()._allowed_methods()  # type: ignore[misc]  # see above
        return [m for m in allowed if m != "OPTIONS"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            raise UriTooLong()
        super().initial(request, *args, **kwargs)

    def check_permissions(self, request: Request) -> None:
        """A read key may only read: every other method is a 403 before the
        object is loaded, the body validated or the state looked at, so the
        answer is the same whatever the id, body or state (a read key learns
        nothing from a 404, 400 or 409)."""
        super().check_permissions(request)
        key = request.user
        if (
            request.method not in permissions.SAFE_METHODS
            and isinstance(key, ApiKey)
            and key.scope == ApiKeyScope.READ
        ):
            self.permission_denied(request, message=READ_KEY_FORBIDDEN)
        # A create names its workspace in the body, so the exact check comes
        # after validation; a caller who may do it nowhere gets the 403 first
        # and learns nothing from the body's 400.
        needed = self.create_permission
        if (
            self.action == "create"
            and needed is not None
            and not can_anywhere(self.principal(), needed)
        ):
            self.permission_denied(request, message=ROLE_FORBIDDEN)

    # What a `create` needs in the workspace it names (see check_permissions).
    create_permission: ClassVar[Action | None] = None

    # Action name → what the caller needs in the object's workspace. Checked as
    # soon as the object is found (404 first for what the caller cannot see),
    # before the body is read or the object's state looked at: a caller who
    # may not learns nothing from a 400 or a 409.
    action_permissions: ClassVar[dict[str, Action]] = {}

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        needed = self.action_permissions.get(self.action or "")
        workspace = getattr(obj, "workspace", None)
        if (
            needed is not None
            and request.method not in permissions.SAFE_METHODS
            and workspace is not None
            and not can(self.principal(), needed, workspace)
        ):
            message = (
                KEY_CANNOT_APPROVE
                if needed == Action.APPROVE and isinstance(request.user, ApiKey)
                else ROLE_FORBIDDEN
            )
            self.permission_denied(request, message=message)

    def principal(self) -> Any:
        """The caller: a `User` or an `ApiKey` (see `workspaces.permissions`)."""
        return self.request.user


def id_or_slug(value: str, prefix: str = "") -> Q:
    """Match `value` as a primary key or a slug (`?workspace=12` or `=acme`)."""
    query = Q(**{f"{prefix}slug": value})
    # isdigit() alone accepts "²" and other digits int() refuses (a 500).
    if value.isascii() and value.isdigit():
        query |= Q(**{f"{prefix}pk": int(value)})
    return query


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def not_found(request: Request, path: str = "") -> Response:
    """Unknown addresses under /api/ answer 404 in the error format, not HTML."""
    message = "There is nothing at this address."
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:
            message = f"There is nothing at this address; did you mean {request.path}/?"
    raise exceptions.NotFound(message)
