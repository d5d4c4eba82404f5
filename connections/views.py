"""The Channels page's account actions that redirect back to it (Test
connection, send a test email, enable, disable) and the OAuth callback.

The page itself (`/channels/`), and the actions whose invalid input re-renders
it (connect, OAuth start) or that show what they would cancel (disconnect),
are `publishing.channels_page`: the page shows publications and a newsletter's
audience, which live above this package. A newsletter's audience page is
`publishing.audience_views`; a publication's actions on the post page and the
calendar's status poll are `publishing.publication_views`.

Each view checks input, calls one service (`connections.accounts`,
`connections.oauth`) and redirects with a message.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from connections import accounts, oauth
from connections.forms import SendTestForm
from connections.models import ChannelAccount, Network
from core.errors import ConflictError
from networks import ConnectorError, ConnectorNotAvailable, get_connector
from workspaces.permissions import Action, can
from workspaces.views.common import SignedInRequest, WorkspaceRequest, workspace_view

logger = logging.getLogger("adloop.channels")


def workspace_account(request: WorkspaceRequest, pk: int) -> ChannelAccount:
    """One account of the current workspace; any other answers 404."""
    return get_object_or_404(ChannelAccount, pk=pk, workspace=request.workspace)


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
