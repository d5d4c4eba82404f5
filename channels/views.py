"""The Channels page's actions (connect, test, reconnect, disconnect, enable),
the OAuth callback, a publication's actions on the post page, and the small JSON
the calendar polls for publication status.

Each view checks input, calls one service (`channels.accounts`,
`channels.publishing`, `channels.oauth`) and redirects with a message; the page
itself is `/channels/` (`campaigns.views.channel_accounts`, rendered by
`render_channels_page` here).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.errors import ConflictError
from campaigns.models import Workspace
from campaigns.permissions import Action, can
from campaigns.views.campaign_forms import ChannelAccountForm
from campaigns.views.common import apply_validation_error, workspace_view
from channels import (
    accounts,
    newsletter,
    oauth,
    publication_review,
    publishing,
    selectors,
)
from channels.connectors import ConnectorError, ConnectorNotAvailable, get_connector
from channels.forms import (
    CONNECT_FORMS,
    ConnectForm,
    MastodonForm,
    SendTestForm,
    SubscriberAddForm,
)
from channels.models import (
    AccountStatus,
    ChannelAccount,
    Network,
    Publication,
    Subscriber,
    SubscriberStatus,
)
from channels.models import PublicationStatus as PS

logger = logging.getLogger("adloop.channels")

OAUTH_LABELS = [(n, Network(n).label) for n in sorted(accounts.OAUTH_NETWORKS)]


def _account(request: HttpRequest, pk: int) -> ChannelAccount:
    """One account of the current workspace; any other answers 404."""
    return get_object_or_404(ChannelAccount, pk=pk, workspace=request.workspace)  # type: ignore[attr-defined]


def render_channels_page(
    request: HttpRequest,
    *,
    planning_form: ChannelAccountForm | None = None,
    connect_form: ConnectForm | None = None,
    mastodon_form: MastodonForm | None = None,
    status: int = 200,
    next_url: str = "",
) -> HttpResponse:
    """The Channels page: accounts with status and last error, connect forms."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    manage = can(request.user, Action.MANAGE_CHANNELS, workspace)  # type: ignore[arg-type]
    reconnect = None
    raw = request.GET.get("reconnect", "")
    if raw.isascii() and raw.isdigit() and connect_form is None:
        reconnect = ChannelAccount.objects.filter(
            pk=int(raw), workspace=workspace, network__in=CONNECT_FORMS
        ).first()
    forms_by_network: dict[str, ConnectForm] = {}
    for network, form_class in CONNECT_FORMS.items():
        if connect_form is not None and connect_form.network == network:
            forms_by_network[network] = connect_form
        elif reconnect is not None and reconnect.network == network:
            forms_by_network[network] = form_class(
                initial={"account": reconnect.pk, "name": reconnect.name},
                prefix=network,
            )
        else:
            forms_by_network[network] = form_class(prefix=network)
    account_rows = list(ChannelAccount.objects.filter(workspace=workspace))
    audience = newsletter.audience_counts(
        a.pk for a in account_rows if a.network == Network.EMAIL
    )
    waiting = selectors.waiting_counts(
        a.pk for a in account_rows if a.status != AccountStatus.CONNECTED
    )
    for a in account_rows:
        a.audience = audience.get(a.pk)  # type: ignore[attr-defined]
        a.waiting = waiting.get(a.pk, 0)  # type: ignore[attr-defined]
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
def connect(request: HttpRequest, network: str) -> HttpResponse:
    """Save a credential-based account (new, or reconnecting `account`)."""
    form_class = CONNECT_FORMS.get(network)
    if form_class is None:
        raise Http404("No such network form.")
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    if not can(request.user, Action.MANAGE_CHANNELS, workspace):  # type: ignore[arg-type]
        raise PermissionDenied(accounts.FORBIDDEN)
    form = form_class(request.POST, prefix=network)
    if form.is_valid():
        target = None
        if form.cleaned_data.get("account"):
            target = _account(request, form.cleaned_data["account"])
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
def oauth_start(request: HttpRequest, network: str) -> HttpResponse:
    """Send the person to the network to sign in (new account or reconnect)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    if network not in accounts.OAUTH_NETWORKS:
        raise Http404("No such network.")
    raw = request.POST.get("account", "")
    target = _account(request, int(raw)) if raw.isascii() and raw.isdigit() else None
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
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where the network sends the person back (`channels.oauth.redirect_uri`)."""
    try:
        account = oauth.oauth_callback(request)
    except oauth.OAuthError as exc:
        messages.error(request, str(exc))
        return redirect("channels")
    messages.success(request, f"{account.name} is connected.")
    return redirect(f"{reverse('channels')}#account-{account.pk}")


@require_POST
@workspace_view
def test(request: HttpRequest, pk: int) -> HttpResponse:
    """Test connection: the connector's check, recorded on the account."""
    account = _account(request, pk)
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
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Email: send one test message with the stored SMTP settings."""
    account = _account(request, pk)
    if not can(request.user, Action.MANAGE_CHANNELS, account.workspace):  # type: ignore[arg-type]
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
def disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: a confirmation saying what will be canceled; POST: disconnect."""
    account = _account(request, pk)
    if not can(request.user, Action.MANAGE_CHANNELS, account.workspace):  # type: ignore[arg-type]
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
def enable(request: HttpRequest, pk: int, enabled: bool) -> HttpResponse:
    account = _account(request, pk)
    try:
        account = accounts.account_update(account, by=request.user, enabled=enabled)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        state = "enabled" if enabled else "disabled"
        messages.success(request, f"{account.name} is {state}.")
    return redirect(f"{reverse('channels')}#account-{account.pk}")


AUDIENCE_PAGE = 100


@workspace_view
def audience(request: HttpRequest, pk: int) -> HttpResponse:
    """A newsletter's audience: counts, the public sign-up link, the addresses
    (managers only: they are personal data), add (double opt-in) and remove."""
    account = _account(request, pk)
    if account.network != Network.EMAIL:
        raise Http404("Only email newsletters have an audience.")
    if not can(request.user, Action.MANAGE_CHANNELS, account.workspace):  # type: ignore[arg-type]
        raise PermissionDenied(newsletter.FORBIDDEN)
    form = SubscriberAddForm()
    status_code = 200
    if request.method == "POST":
        form = SubscriberAddForm(request.POST)
        if form.is_valid():
            try:
                subscriber = newsletter.subscriber_add(
                    account=account, email=form.cleaned_data["email"], by=request.user
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                if subscriber.status == SubscriberStatus.CONFIRMED:
                    messages.info(request, f"{subscriber.email} is already confirmed.")
                else:
                    messages.success(
                        request,
                        f"A confirmation link went to {subscriber.email}; they "
                        "receive the newsletter once they confirm.",
                    )
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


@require_POST
@workspace_view
def audience_remove(request: HttpRequest, pk: int, subscriber_id: int) -> HttpResponse:
    account = _account(request, pk)
    subscriber = get_object_or_404(Subscriber, pk=subscriber_id, account=account)
    newsletter.subscriber_remove(subscriber=subscriber, by=request.user)
    messages.success(request, f"{subscriber.email} is unsubscribed.")
    return redirect("channel-audience", pk=account.pk)


ACTIONS = {"publish-now", "retry", "cancel", "resolve", "approve"}


@require_POST
@workspace_view
def publication_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """A publication's action from the post page; back to the post."""
    publication = get_object_or_404(
        Publication.objects.select_related("workspace", "account"),
        pk=pk,
        workspace=request.workspace,  # type: ignore[attr-defined]
    )
    if name not in ACTIONS:
        raise Http404("No such action.")
    by = request.user
    try:
        if name == "publish-now":
            publishing.publish_now(publication, by=by)
        elif name == "retry":
            publishing.publication_retry(publication, by=by)
        elif name == "cancel":
            publishing.publication_cancel(publication, by=by)
        elif name == "approve":
            publication_review.publication_approve(publication, by=by)
        else:
            outcome = request.POST.get("outcome", "")
            if outcome not in ("published", "not_published", "retry"):
                messages.error(request, "Say whether it is on the network.")
                return redirect("post-editor", publication.post_id)
            url = request.POST.get("url", "").strip()
            if url and not url.startswith(("https://", "http://")):
                messages.error(request, "The post's address starts with https://.")
                return redirect("post-editor", publication.post_id)
            publishing.publication_resolve(
                publication,
                outcome="failed" if outcome == "not_published" else outcome,  # type: ignore[arg-type]
                by=by,
                url=url if outcome == "published" else "",
            )
    except ConflictError as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        if name != "approve":
            raise
        messages.error(request, str(exc))  # e.g. one's own edit: someone else
    else:
        fresh = Publication.objects.get(pk=publication.pk)
        done = {
            "publish-now": "goes out now; the post's other channels keep their time",
            "retry": "sent again now",
            "approve": "copy approved; it goes out at its time, or now if that passed",
        }
        messages.success(
            request,
            f"{publication.account.name}: "
            f"{done.get(name, PS(fresh.status).label.lower())}.",
        )
    return redirect(
        f"{reverse('post-editor', args=[publication.post_id])}#publications"
    )


@require_GET
@workspace_view
def calendar_publications(request: HttpRequest) -> JsonResponse:
    """`?posts=1,2,3` → publication status per post, for the calendar's cards.

    One query, limited to the current workspace and to at most 500 posts (a
    month view), so polling it every few seconds stays cheap.
    """
    raw = request.GET.get("posts", "")
    ids = [int(p) for p in raw.split(",") if p.isascii() and p.isdigit()][:500]
    rows = selectors.publication_statuses_for_posts(
        ids,
        workspace_id=request.workspace.pk,  # type: ignore[attr-defined]
    )
    return JsonResponse({"posts": {str(k): v for k, v in rows.items()}})
