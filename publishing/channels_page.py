"""The Channels page under /channels/, and the forms posted to it.

Campaigns plan posts per account, so a workspace needs accounts before its
first campaign: the page lists them with their status, what waits for them and
a newsletter's audience (publishing's, hence the page lives here), adds
planning-only rows (no credentials, they cannot publish) and holds the connect
forms. The views whose invalid input re-renders the page (connect, OAuth start)
and the disconnect confirmation (it counts what would be canceled) are here
too; the account actions that only redirect (test, send a test, enable,
disable, the OAuth callback) are `connections.views`. The rules are
`connections.accounts` either way.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connections import accounts
from connections.forms import (
    CONNECT_FORMS,
    ConnectForm,
    InstanceForm,
    SendTestForm,
    instance_declaration,
)
from connections.forms_accounts import ChannelAccountForm
from connections.models import AccountStatus, ChannelAccount, Network
from connections.views import workspace_account
from core.errors import ConflictError
from publishing import account_hooks, newsletter, selectors
from workspaces.permissions import Action, can
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    require,
    safe_next,
    workspace_view,
)

OAUTH_LABELS = [(n, Network(n).label) for n in sorted(accounts.OAUTH_NETWORKS)]
# The network whose sign-in starts at its own instance: the form asking for it
# is prefixed with its key, and the page template finds it as "<key>_form".
INSTANCE_NETWORK = instance_declaration().network


def _connect_forms(
    connect_form: ConnectForm | None, reconnect: ChannelAccount | None
) -> dict[str, ConnectForm]:
    """One connect form per credential network: the one that was just posted
    (with its errors), the one prefilled for the account being reconnected,
    or an empty one."""
    forms: dict[str, ConnectForm] = {}
    for network, form_class in CONNECT_FORMS.items():
        if connect_form is not None and connect_form.network == network:
            forms[network] = connect_form
        elif reconnect is not None and reconnect.network == network:
            forms[network] = form_class(
                initial={"account": reconnect.pk, "name": reconnect.name},
                prefix=network,
            )
        else:
            forms[network] = form_class(prefix=network)
    return forms


def render_channels_page(
    request: WorkspaceRequest,
    *,
    planning_form: ChannelAccountForm | None = None,
    connect_form: ConnectForm | None = None,
    instance_form: InstanceForm | None = None,
    status: int = 200,
    next_url: str = "",
) -> HttpResponse:
    """The Channels page: accounts with status and last error, connect forms."""
    workspace = request.workspace
    manage = can(request.user, Action.MANAGE_CHANNELS, workspace)
    reconnect = None
    raw = request.GET.get("reconnect", "")
    if raw.isascii() and raw.isdigit() and connect_form is None:
        reconnect = ChannelAccount.objects.filter(
            pk=int(raw), workspace=workspace, network__in=CONNECT_FORMS
        ).first()
    forms_by_network = _connect_forms(connect_form, reconnect)
    account_rows = list(ChannelAccount.objects.filter(workspace=workspace))
    audience = newsletter.audience_counts(
        a.pk for a in account_rows if a.network == Network.EMAIL
    )
    waiting = selectors.waiting_counts(
        a.pk for a in account_rows if a.status != AccountStatus.CONNECTED
    )
    for a in account_rows:
        # For the template only: not fields, so the model does not declare them.
        a.audience = audience.get(a.pk)  # type: ignore[attr-defined]  # see above
        a.waiting = waiting.get(a.pk, 0)  # type: ignore[attr-defined]  # see above
    return render(
        request,
        "campaigns/channels/page.html",
        {
            "section": "channels",
            "accounts": account_rows,
            "form": planning_form or ChannelAccountForm(),
            "connect_forms": [
                (network, Network(network).label, form)
                for network, form in forms_by_network.items()
            ],
            "open_network": (
                connect_form.network
                if connect_form is not None
                else reconnect.network
                if reconnect is not None
                else ""
            ),
            "reconnect": reconnect,
            f"{INSTANCE_NETWORK}_form": instance_form
            or InstanceForm(prefix=INSTANCE_NETWORK),
            "oauth_networks": OAUTH_LABELS,
            "credential_networks": sorted(CONNECT_FORMS),
            "send_test_form": SendTestForm(),
            "manage": manage,
            "next": next_url,
        },
        status=status,
    )


FORBIDDEN = "Only owners and admins can add channel accounts."


def _page(
    request: WorkspaceRequest, form: ChannelAccountForm, *, status: int = 200
) -> HttpResponse:
    return render_channels_page(
        request, planning_form=form, status=status, next_url=safe_next(request, "")
    )


@workspace_view
def channel_accounts(request: WorkspaceRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, ChannelAccountForm())
    workspace = require(request, Action.MANAGE_CHANNELS, FORBIDDEN)
    form = ChannelAccountForm(request.POST)
    if form.is_valid():
        try:
            account = accounts.account_add_for_planning(
                workspace=workspace, **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{account} is added for planning.")
            return redirect(safe_next(request, request.path))
    return _page(request, form, status=400)


@require_POST
@workspace_view
def connect(request: WorkspaceRequest, network: str) -> HttpResponse:
    """Save a credential-based account (new, or reconnecting `account`)."""
    form_class = CONNECT_FORMS.get(network)
    if form_class is None:
        raise Http404("No such network form.")
    workspace = request.workspace
    if not can(request.user, Action.MANAGE_CHANNELS, workspace):
        raise PermissionDenied(accounts.FORBIDDEN)
    form = form_class(request.POST, prefix=network)
    if form.is_valid():
        target = None
        if form.cleaned_data.get("account"):
            target = workspace_account(request, form.cleaned_data["account"])
        credentials, url = form.credentials()
        try:
            account = accounts.account_connect(
                workspace=workspace,
                network=network,
                name=form.cleaned_data["name"],
                credentials=credentials,
                url=url,
                by=request.user,
                account=target,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            verb = "reconnected" if target else "connected"
            messages.success(
                request, f"{account.name} is {verb}. Test the connection below."
            )
            return redirect(f"{reverse('channels')}#account-{account.pk}")
    return render_channels_page(request, connect_form=form, status=400)


@require_POST
@workspace_view
def oauth_start(request: WorkspaceRequest, network: str) -> HttpResponse:
    """Send the person to the network to sign in (new account or reconnect)."""
    workspace = request.workspace
    if network not in accounts.OAUTH_NETWORKS:
        raise Http404("No such network.")
    raw = request.POST.get("account", "")
    target = (
        workspace_account(request, int(raw))
        if raw.isascii() and raw.isdigit()
        else None
    )
    instance = ""
    form = InstanceForm(request.POST, prefix=INSTANCE_NETWORK)
    if network == INSTANCE_NETWORK and target is None:
        if not form.is_valid():
            return render_channels_page(request, instance_form=form, status=400)
        instance = form.cleaned_data["instance_url"]
    try:
        url = accounts.account_oauth_start(
            workspace=workspace,
            network=network,
            by=request.user,
            instance_url=instance,
            account=target,
        )
    except ValidationError as error:
        apply_validation_error(form, error)
        return render_channels_page(request, instance_form=form, status=400)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("channels")
    return redirect(url)


@workspace_view
def disconnect(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """GET: a confirmation saying what will be canceled; POST: disconnect."""
    account = workspace_account(request, pk)
    if not can(request.user, Action.MANAGE_CHANNELS, account.workspace):
        raise PermissionDenied(accounts.FORBIDDEN)
    if request.method == "POST":
        canceled = accounts.account_disconnect(account, by=request.user)
        note = (
            f" {len(canceled)} scheduled publication(s) canceled." if canceled else ""
        )
        messages.success(request, f"{account.name} is disconnected.{note}")
        return redirect("channels")
    scheduled = account_hooks.scheduled_count(account)
    return render(
        request,
        "channels/disconnect.html",
        {"section": "channels", "account": account, "scheduled": scheduled},
    )
