"""Middleware for every response: a request id, request latency, and the
Permissions-Policy header. (The Content-Security-Policy is django-csp's
`csp.middleware.CSPMiddleware`, configured in settings.)"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from config.logging import request_id_var
from config.metrics import REQUEST_LATENCY

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain (a proxy's or a load
# balancer's UUID or hex trace id); anything else could forge log lines.
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

# Browser features no AdLoop page uses: denied to the page and any frame.
# https://developer.mozilla.org/docs/Web/HTTP/Headers/Permissions-Policy
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """`request.request_id`, echoed as X-Request-ID and on every log line the
    request writes (config.logging.ContextFilter).

    A well-formed incoming X-Request-ID (from the proxy) is kept so one id
    follows the request through every hop; otherwise a new one is made.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = (
            incoming if _WELL_FORMED_ID.fullmatch(incoming) else uuid.uuid4().hex
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs a 4xx/5xx answer ("Not Found:
        # ...") after the middleware returns. `_forget_request_id` clears it
        # when the response is finished.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**_: Any) -> None:
    """After the response: a later log line of this thread is no request's."""
    request_id_var.set("")


def _route(request: HttpRequest) -> str:
    """The URL pattern, not the path: ids in paths would make a series per row."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.route or match.view_name or "unnamed"
    static = "/" + settings.STATIC_URL.lstrip("/")
    return "static" if request.path.startswith(static) else "unmatched"


class RequestLatencyMiddleware:
    """Observe each request's time in `adloop_http_request_duration_seconds`."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        REQUEST_LATENCY.labels(
            route=_route(request),
            method=request.method if request.method in _METHODS else "other",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - start)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class PermissionsPolicyMiddleware:
    """Deny the browser features AdLoop never uses (camera, microphone,
    geolocation, payment...), so injected or framed code cannot ask for them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
