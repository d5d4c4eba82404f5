"""The demo inbox's receiver (webhook POSTs) and its page; 404 when disabled."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.timezones import to_local
from demo import inbox
from workspaces.views.common import View, workspace_view


def _enabled_only(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not inbox.enabled():
            raise Http404("The demo inbox is off on this installation.")
        return view(request, *args, **kwargs)

    return wrapper


@_enabled_only
@csrf_exempt  # a machine's signed POST, not a browser form
@require_POST
def hook(request: HttpRequest, account_id: int) -> HttpResponse:
    """Receive one webhook request: 200 when verified, 401 when not (recorded)."""
    received = inbox.receive(account_id, request.headers, request.body)
    if received is None:
        raise Http404("No webhook channel with this id.")
    delivery = received.delivery
    if not delivery.verified:
        return JsonResponse({"error": delivery.check_note}, status=401)
    page = request.build_absolute_uri(reverse("demo:inbox"))
    return JsonResponse(
        {"id": f"demo-{delivery.pk}", "url": f"{page}#delivery-{delivery.pk}"}
    )


@_enabled_only
@workspace_view
def page(request: HttpRequest) -> HttpResponse:
    """What the current workspace's webhook channels delivered here."""
    workspace = request.workspace  # type: ignore[attr-defined]
    rows = [
        {
            "delivery": d,
            "local": to_local(d.received_at, workspace.time_zone),
            "pretty": inbox.pretty(d.body),
        }
        for d in inbox.deliveries(workspace)
    ]
    context = {
        "section": "demo-inbox",
        "label": inbox.LABEL,
        "rows": rows,
        "accounts": inbox.inbox_accounts(workspace),
        "zone": workspace.time_zone,
    }
    return render(request, "demo/inbox.html", context)
