"""A newsletter's audience page (`/channels/<pk>/audience/`): its counts, the
public sign-up link, the addresses (for managers only: personal data), adding
one (double opt-in) and removing one. The rules live in `publishing.newsletter`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from connections.forms import SubscriberAddForm
from connections.models import ChannelAccount, Network
from connections.views import workspace_account
from publishing import newsletter
from publishing.models import Subscriber, SubscriberStatus
from workspaces.permissions import Action, can
from workspaces.views.common import (
    WorkspaceRequest,
    apply_validation_error,
    workspace_view,
)

AUDIENCE_PAGE = 100


@workspace_view
def audience(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """A newsletter's audience: counts, the public sign-up link, the addresses
    (managers only: they are personal data), add (double opt-in) and remove."""
    account = workspace_account(request, pk)
    if account.network != Network.EMAIL:
        raise Http404("Only email newsletters have an audience.")
    if not can(request.user, Action.MANAGE_CHANNELS, account.workspace):
        raise PermissionDenied(newsletter.FORBIDDEN)
    form = SubscriberAddForm()
    status_code = 200
    if request.method == "POST":
        form = SubscriberAddForm(request.POST)
        if _add(request, account, form):
            return redirect("channel-audience", pk=account.pk)
        status_code = 400
    chosen = request.GET.get("status", "")
    if chosen not in SubscriberStatus.values:
        chosen = ""
    search = request.GET.get("q", "")[:254]
    rows = newsletter.subscribers_for(
        account, by=request.user, status=chosen, search=search
    )
    counts = newsletter.audience_counts([account.pk])[account.pk]
    return render(
        request,
        "channels/audience.html",
        {
            "section": "channels",
            "account": account,
            "counts": [
                (value, label, counts[value])
                for value, label in SubscriberStatus.choices
            ],
            "statuses": SubscriberStatus.choices,
            "chosen": chosen,
            "search": search,
            "subscribers": rows[:AUDIENCE_PAGE],
            "shown_limit": AUDIENCE_PAGE,
            "total": rows.count(),
            "form": form,
            "signup_url": newsletter.signup_url(account),
        },
        status=status_code,
    )


def _add(
    request: WorkspaceRequest, account: ChannelAccount, form: SubscriberAddForm
) -> bool:
    """Add the posted address (double opt-in); False: the form holds the errors."""
    if not form.is_valid():
        return False
    try:
        subscriber = newsletter.subscriber_add(
            account=account, email=form.cleaned_data["email"], by=request.user
        )
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return False
    if subscriber.status == SubscriberStatus.CONFIRMED:
        messages.info(request, f"{subscriber.email} is already confirmed.")
    else:
        messages.success(
            request,
            f"A confirmation link went to {subscriber.email}; they "
            "receive the newsletter once they confirm.",
        )
    return True


@require_POST
@workspace_view
def audience_remove(
    request: WorkspaceRequest, pk: int, subscriber_id: int
) -> HttpResponse:
    account = workspace_account(request, pk)
    subscriber = get_object_or_404(Subscriber, pk=subscriber_id, account=account)
    newsletter.subscriber_remove(subscriber=subscriber, by=request.user)
    messages.success(request, f"{subscriber.email} is unsubscribed.")
    return redirect("channel-audience", pk=account.pk)
