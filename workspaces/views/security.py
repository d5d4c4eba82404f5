"""Settings → Security: your two-factor sign-in, your personal access tokens,
and (owners and admins) the organization's two-factor rule; plus the code step
of signing in.

Secrets (a new token, recovery codes) exist in exactly one response each,
marked no-store; the rows keep hashes. Rules live in `workspaces.twofactor` and
`workspaces.services.personal_tokens`; these views only call them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from workspaces import twofactor
from workspaces.services import personal_tokens
from workspaces.twofactor_forms import (
    CodeForm,
    LoginCodeForm,
    RequirementForm,
    SetupCodeForm,
    TokenForm,
)
from workspaces.views.common import SignedInRequest, apply_validation_error

PAGE = "campaigns/settings/security.html"


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _page(
    request: SignedInRequest,
    *,
    token_form: TokenForm | None = None,
    issued: personal_tokens.IssuedToken | None = None,
    rule_form: RequirementForm | None = None,
    code_form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    workspace = getattr(request, "workspace", None)
    organization = workspace.organization if workspace is not None else None
    may_set_rule = organization is not None and twofactor.may_set_requirement(
        user, organization
    )
    context: dict[str, Any] = {
        "section": "settings",
        "settings_tab": "security",
        "enrolled": twofactor.is_enrolled(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "requiring": twofactor.organizations_requiring(user),
        "organization": organization,
        "may_set_rule": may_set_rule,
        "rule_form": rule_form
        or RequirementForm(
            initial={
                "require_two_factor": bool(
                    organization and organization.require_two_factor
                )
            }
        ),
        "code_form": code_form or CodeForm(),
        "tokens": personal_tokens.tokens_of(user),
        "token_form": token_form or TokenForm(),
        "issued": issued,
    }
    return render(request, PAGE, context, status=status)


@login_required
def security(request: SignedInRequest) -> HttpResponse:
    return _page(request)


@login_required
def two_factor_setup(request: SignedInRequest) -> HttpResponse:
    """Scan, confirm with a first code, then see the recovery codes once."""
    user = request.user
    if twofactor.is_enrolled(user):
        messages.info(request, "Two-factor sign-in is already on.")
        return redirect("security")
    form = SetupCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                codes = twofactor.enrolment_confirm(user, form.cleaned_data["code"])
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return _recovery_codes(request, codes, first_time=True)
        status = 400
    device = twofactor.enrolment_start(user)
    context = {
        "section": "settings",
        "settings_tab": "security",
        "form": form,
        "qr_svg": twofactor.provisioning_qr_svg(device),
        "secret": twofactor.provisioning_secret(device),
        "required": twofactor.organizations_requiring(user),
    }
    response = render(
        request, "campaigns/settings/two_factor_setup.html", context, status=status
    )
    return _no_store(response)


def _recovery_codes(
    request: SignedInRequest, codes: list[str], *, first_time: bool
) -> HttpResponse:
    context = {
        "section": "settings",
        "settings_tab": "security",
        "codes": codes,
        "first_time": first_time,
    }
    return _no_store(render(request, "campaigns/settings/recovery_codes.html", context))


def _checked_code(request: SignedInRequest) -> CodeForm:
    """The posted code form, with an error unless the code verifies: turning
    protection off or replacing codes takes proof of the second factor."""
    form = CodeForm(request.POST)
    if form.is_valid():
        check = twofactor.verify(request.user, form.cleaned_data["code"])
        if not check.ok:
            form.add_error("code", check.message)
    return form


@require_POST
@login_required
def recovery_codes_new(request: SignedInRequest) -> HttpResponse:
    form = _checked_code(request)
    if not form.is_valid():
        return _page(request, code_form=form, status=400)
    codes = twofactor.recovery_codes_regenerate(request.user)
    return _recovery_codes(request, codes, first_time=False)


@require_POST
@login_required
def two_factor_disable(request: SignedInRequest) -> HttpResponse:
    form = _checked_code(request)
    if form.is_valid():
        try:
            twofactor.disable(request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("security")
    return _page(request, code_form=form, status=400)


@require_POST
@login_required
def organization_rule(request: SignedInRequest) -> HttpResponse:
    """Owners and admins of the current workspace's organization set its rule."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        raise PermissionDenied("Choose a workspace first.")
    organization = workspace.organization
    form = RequirementForm(request.POST)
    if form.is_valid():
        required = form.cleaned_data["require_two_factor"]
        try:
            twofactor.organization_set_requirement(
                organization=organization, required=required, by=request.user
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"{organization.name} now requires two-factor sign-in."
                if required
                else f"{organization.name} no longer requires two-factor sign-in.",
            )
            return redirect("security")
    return _page(request, rule_form=form, status=400)


@require_POST
@login_required
def token_create(request: SignedInRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            issued = personal_tokens.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _no_store(_page(request, issued=issued))
    return _page(request, token_form=form, status=400)


@require_POST
@login_required
def token_revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(personal_tokens.tokens_of(request.user), pk=pk)
    personal_tokens.token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("security")


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the password was right; now the code."""
    user = twofactor.pending_user(request)
    if user is None:
        messages.info(request, "Sign in with your email and password first.")
        return redirect("login")
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check, next_url = twofactor.login_with_code(request, form.cleaned_data["code"])
        if check.ok:
            # Checked by the password step (LoginView.get_success_url).
            return redirect(next_url or reverse("dashboard"))
        if twofactor.pending_user(request) is None:
            messages.error(request, check.message)
            return redirect("login")
        form.add_error("code", check.message)
    status = 400 if request.method == "POST" else 200
    return render(request, "auth/login_code.html", {"form": form}, status=status)
