"""The Channels page's actions (connect, test, reconnect, disconnect, enable)
and the OAuth callback. A newsletter's audience page is
`publishing.audience_views`; a publication's actions on the post page and the
calendar's status poll are `publishing.publication_views`.

Each view checks input, calls one service (`connections.accounts`,
`publishing.delivery`, `connections.oauth`) and redirects with a message; the page
itself is `/channels/` (`connections.views_page`, rendered by
`render_channels_page` here).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.views.campaign_forms import ChannelAccountForm
from connections import accounts, oauth
from connections.forms import (
    CONNECT_FORMS,
    ConnectForm,
    MastodonForm,
    SendTestForm,
)
from connections.models import AccountStatus, ChannelAccount, Network
from core.errors import ConflictError
from networks import ConnectorError, ConnectorNotAvailable, get_connector
from publishing import newsletter, selectors
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from workspaces.permissions import Action, can
from workspaces.views.common import (
    SignedInRequest,
    WorkspaceRequest,
    apply_validation_error,
    workspace_view,
)

logger = logging.getLogger("adloop.channels")

OAUTH_LABELS = [(n, Network(n).label) for n in sorted(accounts.OAUTH_NETWORKS)]


def workspace_account(request: WorkspaceRequest, pk: int) -> ChannelAccount:
    """One account of the current workspace; any other answers 404."""
    return get_object_or_404(ChannelAccount, pk=pk, workspace=request.workspace)


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
    mastodon_form: MastodonForm | None = None,
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
            "mastodon_form": mastodon_form or MastodonForm(prefix="mastodon"),
            "oauth_networks": OAUTH_LABELS,
            "credential_networks": sorted(CONNECT_FORMS),
            "send_test_form": SendTestForm(),
            "manage": manage,
            "next": next_url,
        },
        status=status,
    )


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
    form = MastodonForm(request.POST, prefix="mastodon")
    if network == Network.MASTODON and target is None:
        if not form.is_valid():
            return render_channels_page(request, mastodon_form=form, status=400)
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
        return render_channels_page(request, mastodon_form=form, status=400)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("channels")
    return redirect(url)


@login_required
@require_GET
def oauth_callback(request: SignedInRequest) -> HttpResponse:
    """Where the network sends the person back (`connections.oauth.redirect_uri`)."""
    try:
        account = oauth.oauth_callback(request)
    except oauth.OAuthError as exc:
        messages.error(request, str(exc))
        return redirect("channels")
    messages.success(request, f"{account.name} is connected.")
    return redirect(f"{reverse('channels')}#account-{account.pk}")


@require_POST
@workspace_view
def test(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Test connection: the connector's check, recorded on the account."""
    account = workspace_account(request, pk)
    try:
        outcome = accounts.account_check(account, by=request.user)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        (messages.success if outcome.ok else messages.error)(
            request, f"{account.name}: {outcome.message}"
        )
    return redirect(f"{reverse('channels')}#account-{account.pk}")


@require_POST
@workspace_view
def send_test(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Email: send one test message with the stored SMTP settings."""
    account = workspace_account(request, pk)
    if not can(request.user, Action.MANAGE_CHANNELS, account.workspace):
        raise PermissionDenied(accounts.FORBIDDEN)
    form = SendTestForm(request.POST)
    back = f"{reverse('channels')}#account-{account.pk}"
    if account.network != Network.EMAIL or not form.is_valid():
        messages.error(request, "Give an email address to send the test to.")
        return redirect(back)
    try:
        connector: Any = get_connector(Network.EMAIL)
    except (ConnectorNotAvailable, ImportError):
        connector = None
    sender = getattr(connector, "send_test", None)
    if sender is None or not account.credentials:
        messages.error(request, "Sending a test message is not available yet.")
        return redirect(back)
    try:
        sender(account, to=form.cleaned_data["to"])
    except ConnectorError as exc:
        messages.error(request, f"{account.name}: {exc.message}")
    else:
        messages.success(request, f"A test message went to {form.cleaned_data['to']}.")
    return redirect(back)


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
    scheduled = Publication.objects.filter(
        account=account, status__in=[PS.SCHEDULED, PS.QUEUED]
    ).count()
    return render(
        request,
        "channels/disconnect.html",
        {"section": "channels", "account": account, "scheduled": scheduled},
    )


@require_POST
@workspace_view
def enable(request: WorkspaceRequest, pk: int, enabled: bool) -> HttpResponse:
    account = workspace_account(request, pk)
    try:
        account = accounts.account_update(account, by=request.user, enabled=enabled)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        state = "enabled" if enabled else "disabled"
        messages.success(request, f"{account.name} is {state}.")
    return redirect(f"{reverse('channels')}#account-{account.pk}")
