"""Small helpers every UI view shares: the current workspace, 403s, HTMX, errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from workspaces.models import User, Workspace
from workspaces.permissions import Action, can

# Any response: pages answer HttpResponse, files and streams StreamingHttpResponse.
View = Callable[..., HttpResponseBase]


class SignedInRequest(HttpRequest):
    """What a `login_required` view receives: `user` is a `User`, never anonymous.

    An annotation only: Django builds plain `HttpRequest`s; this names what the
    decorator guarantees so views need no casts.
    """

    user: User
    # Set by CurrentWorkspaceMiddleware on every request: None before the
    # person has a workspace.
    workspace: Workspace | None


class WorkspaceRequest(SignedInRequest):
    """What a `workspace_view` receives: the decorator has checked that the
    current `workspace` is not None."""

    workspace: Workspace


def workspace_view(view: View) -> View:
    """Signed in, with a current workspace (else the dashboard's onboarding).

    The middleware only ever sets `request.workspace` to one of the person's
    visible workspaces, so views below can trust it and scope lookups to it.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "workspace", None) is None:
            messages.info(request, "Create a workspace first.")
            return redirect("dashboard")
        return view(request, *args, **kwargs)

    return wrapper


def require(request: WorkspaceRequest, action: Action, message: str) -> Workspace:
    """The current workspace if the person may do `action` in it, else 403.

    403 (not 404) is right here: the workspace is one the person can see, so
    nothing leaks by saying they may not act on it.
    """
    workspace = request.workspace
    if not can(request.user, action, workspace):
        raise PermissionDenied(message)
    return workspace


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_panel(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only its panel when HTMX asked (`<page>/_panel.html`).

    Both render the same context, so a page works the same with and without
    JavaScript; HTMX merely avoids a reload and keeps the URL.
    """
    name = (
        template.replace("page.html", "_panel.html") if is_htmx(request) else template
    )
    return render(request, name, context, status=status)


def apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form, field by field.

    Services raise `ValidationError({"field": "message"})`; a key the form does
    not have becomes a form-wide error so no message is ever dropped.
    """
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL if it points back into this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return target
    return fallback
