"""The campaign wizard: brand → brief → dates → channels → pillars → review.

Each step validates its own form and keeps what was typed in the session
(raw form data, per workspace), so Back and Next never lose input and a
reload shows the same page. A step cannot be reached before the ones before
it are valid. "Generate plan" creates the campaign through the services and
asks for a plan in the same transaction, then follows the job's progress.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from campaigns.services import brands as brand_services
from campaigns.services import campaigns as campaign_services
from campaigns.services import plans
from campaigns.services.campaigns import Cadence, PillarSpec
from campaigns.views.campaign_forms import (
    BasePillarFormSet,
    ChannelsForm,
    PillarFormSet,
    WizardBrandForm,
    WizardBriefForm,
    WizardDatesForm,
)
from connections.models import ChannelAccount
from core.errors import ConflictError
from workspaces.models import Workspace
from workspaces.permissions import Action, can
from workspaces.views.common import WorkspaceRequest, require, workspace_view

FORBIDDEN = "Only owners, admins and editors can create campaigns."
STEPS: list[tuple[str, str]] = [
    ("brand", "Brand"),
    ("brief", "Objective and brief"),
    ("dates", "Dates"),
    ("channels", "Channels"),
    ("pillars", "Pillars"),
    ("review", "Review"),
]
STEP_NAMES = [name for name, _ in STEPS]
# Where a service's error about a field is fixed.
FIELD_STEP = {
    "brand": "brand",
    "name": "brief",
    "objective": "brief",
    "brief": "brief",
    "kpi_targets": "brief",
    "start_date": "dates",
    "end_date": "dates",
    "time_zone": "dates",
    "blackout_dates": "dates",
    "channels": "channels",
    "pillars": "pillars",
}

Form: TypeAlias = "forms.Form | forms.BaseFormSet[Any]"
_StepForm = TypeVar("_StepForm", bound=Form)


def _key(workspace: Workspace) -> str:
    # Per workspace: a brand or account id chosen in one never reaches another.
    return f"campaign_wizard:{workspace.pk}"


def _state(request: WorkspaceRequest) -> dict[str, dict[str, list[str]]]:
    return request.session.get(_key(request.workspace), {})


def _save_step(request: WorkspaceRequest, step: str, raw: dict[str, list[str]]) -> None:
    state = _state(request)
    state[step] = raw
    request.session[_key(request.workspace)] = state


def _raw(request: WorkspaceRequest) -> dict[str, list[str]]:
    return {
        key: request.POST.getlist(key)
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", "nav")
    }


def _querydict(raw: dict[str, list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in raw.items():
        data.setlist(key, values)
    return data


def _accounts(workspace: Workspace) -> list[ChannelAccount]:
    return list(ChannelAccount.objects.filter(workspace=workspace))


def _form(step: str, workspace: Workspace, data: QueryDict | None) -> Form:
    if step == "brand":
        return WizardBrandForm(data, workspace=workspace)
    if step == "brief":
        return WizardBriefForm(data)
    if step == "dates":
        return WizardDatesForm(data, initial={"time_zone": workspace.time_zone})
    if step == "channels":
        return ChannelsForm(data, accounts=_accounts(workspace))
    if step == "pillars":
        return PillarFormSet(data, prefix="pillars")
    raise Http404


def _stored_form(request: WorkspaceRequest, step: str) -> Form:
    raw = _state(request).get(step)
    return _form(
        step,
        request.workspace,
        _querydict(raw) if raw is not None else None,
    )


def _first_invalid(request: WorkspaceRequest, before: str) -> str | None:
    """The first step before `before` that is missing or invalid, if any."""
    for step in STEP_NAMES[: STEP_NAMES.index(before)]:
        if not _stored_form(request, step).is_valid():
            return step
    return None


def _render(
    request: WorkspaceRequest,
    step: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    index = STEP_NAMES.index(step)
    workspace: Workspace = request.workspace
    context = {
        "section": "campaigns",
        "step": step,
        "steps": [
            {"name": n, "label": label, "number": i + 1, "state": _state_of(i, index)}
            for i, (n, label) in enumerate(STEPS)
        ],
        "previous": STEP_NAMES[index - 1] if index else None,
        "manage_channels": can(request.user, Action.MANAGE_CHANNELS, workspace),
        **context,
    }
    return render(request, f"campaigns/wizard/{step}.html", context, status=status)


def _state_of(i: int, current: int) -> str:
    return "done" if i < current else "current" if i == current else "upcoming"


@workspace_view
def start(request: WorkspaceRequest) -> HttpResponse:
    """`/campaigns/new/`: the first step; `?restart=1` forgets earlier input."""
    require(request, Action.EDIT_CONTENT, FORBIDDEN)
    if request.GET.get("restart"):
        request.session.pop(_key(request.workspace), None)
    return redirect("campaign-wizard", step="brand")


@workspace_view
def step_view(request: WorkspaceRequest, step: str) -> HttpResponse:
    workspace = require(request, Action.EDIT_CONTENT, FORBIDDEN)
    if step not in STEP_NAMES:
        raise Http404
    if step == "review":
        return _review(request, workspace)
    index = STEP_NAMES.index(step)
    if request.method == "POST":
        raw = _raw(request)
        if request.POST.get("nav") == "back" and index:
            _save_step(request, step, raw)
            return redirect("campaign-wizard", step=STEP_NAMES[index - 1])
        form = _form(step, workspace, _querydict(raw))
        if form.is_valid():
            saved = (
                _brand_raw(request, form, raw)
                if isinstance(form, WizardBrandForm)  # the "brand" step
                else raw
            )
            if saved is not None:
                _save_step(request, step, saved)
                return redirect("campaign-wizard", step=STEP_NAMES[index + 1])
        return _render(request, step, {"form": form}, status=400)
    missing = _first_invalid(request, step)
    if missing is not None:
        return redirect("campaign-wizard", step=missing)
    return _render(request, step, {"form": _stored_form(request, step)})


def _brand_raw(
    request: WorkspaceRequest, form: WizardBrandForm, raw: dict[str, list[str]]
) -> dict[str, list[str]] | None:
    """Create the new brand now (its name is all it needs); None on an error."""
    name = form.cleaned_data["new_brand"]
    if not name:
        return raw
    try:
        brand = brand_services.brand_create(
            workspace=request.workspace,
            by=request.user,
            data={"name": name},
        )
    except ValidationError as error:
        for messages_ in error.message_dict.values():
            form.add_error("new_brand", messages_)
        return None
    messages.success(
        request, f"Brand “{brand.name}” is created; complete its profile later."
    )
    return {"brand": [str(brand.pk)]}


def _done(done: dict[str, Form], step: str, kind: type[_StepForm]) -> _StepForm:
    """The step's form as the class `_form` builds for that step."""
    form = done[step]
    assert isinstance(form, kind)
    return form


def _review(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    missing = _first_invalid(request, "review")
    if missing is not None:
        return redirect("campaign-wizard", step=missing)
    done = {step: _stored_form(request, step) for step in STEP_NAMES[:-1]}
    for form in done.values():
        form.is_valid()
    brand = _done(done, "brand", WizardBrandForm).cleaned_data["brand"]
    brief = _done(done, "brief", WizardBriefForm).cleaned_data
    dates = _done(done, "dates", WizardDatesForm).cleaned_data
    cadences = _done(done, "channels", ChannelsForm).cadences()
    pillars = _done(done, "pillars", BasePillarFormSet).pillars()
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        if request.POST.get("nav") == "back":
            return redirect("campaign-wizard", step="pillars")
        try:
            with transaction.atomic():
                campaign = campaign_services.campaign_create(
                    workspace=workspace,
                    by=request.user,
                    data={"brand": brand, **brief, **dates},
                    cadences=[Cadence(a, n) for a, n in cadences],
                    pillars=[PillarSpec(n, w, d) for n, w, d in pillars],
                )
                job = plans.plan_request(campaign=campaign, by=request.user)
        except ValidationError as error:
            errors = [
                (FIELD_STEP.get(field, "review"), message)
                for field, messages_ in error.message_dict.items()
                for message in messages_
            ]
        except ConflictError as error:
            errors = [("review", str(error))]
        else:
            request.session.pop(_key(workspace), None)
            messages.success(request, f"Campaign “{campaign.name}” is created.")
            return redirect("job", pk=job.pk)
    total = sum(w for _, w, _ in pillars) or 1
    context = {
        "brand": brand,
        "brief": brief,
        "dates": dates,
        "cadences": cadences,
        "pillars": [(n, w, d, round(w * 100 / total)) for n, w, d in pillars],
        "errors": [
            (reverse("campaign-wizard", args=[step]) if step != "review" else "", m)
            for step, m in errors
        ],
    }
    return _render(request, "review", context, status=400 if errors else 200)
