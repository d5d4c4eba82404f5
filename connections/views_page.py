"""The Channels page under /channels/ and its "add for planning" form.

Campaigns plan posts per account, so a workspace needs accounts before its
first campaign. The form here adds planning-only rows (no credentials, they
cannot publish); connecting accounts for publishing, testing and disconnecting
them are `connections.views`, which also renders the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect

from campaigns.views.campaign_forms import ChannelAccountForm
from connections.models import AccountStatus, ChannelAccount
from workspaces.models import Workspace
from workspaces.permissions import Action
from workspaces.views.common import WorkspaceRequest, require, safe_next, workspace_view

FORBIDDEN = "Only owners and admins can add channel accounts."


def _account_create(
    *, workspace: Workspace, name: str, network: str, handle: str
) -> ChannelAccount:
    """A planning-only account; the name is unique per network in a workspace."""
    account = ChannelAccount(
        workspace=workspace,
        name=name.strip(),
        network=network,
        handle=handle.strip(),
        status=AccountStatus.CONNECTED,
    )
    account.full_clean(exclude=["workspace"], validate_unique=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": ["This workspace already has an account with this name here."]}
        ) from exc
    return account


def _page(
    request: WorkspaceRequest, form: ChannelAccountForm, *, status: int = 200
) -> HttpResponse:
    # The page (accounts, connect forms, statuses) lives with the channels app.
    from connections.views import render_channels_page

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
            account = _account_create(workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{account} is added for planning.")
            return redirect(safe_next(request, request.path))
    return _page(request, form, status=400)
