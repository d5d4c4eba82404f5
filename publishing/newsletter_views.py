"""Public newsletter pages: subscribe, confirm, unsubscribe. No login: the
account id (subscribe) or the token in the link (confirm, unsubscribe) is all a
visitor has. Each view validates, calls one service in `publishing.newsletter`,
and answers. Sign-ups are limited per source and per target address
(`publishing.newsletter_limits`): past a limit the page answers 429 with
`Retry-After`, and never says whether the address is on the list.

Only `unsubscribe` is exempt from CSRF: mail clients POST
`List-Unsubscribe=One-Click` to it with no cookie and no token (RFC 8058); its
unguessable token is the authorization. A GET never unsubscribes (link scanners
fetch every URL in a message), it shows a button.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.client_address import client_address
from core.counters import Throttled
from publishing import newsletter

TEMPLATE = "channels/newsletter_page.html"


def _page(request: HttpRequest, status: int = 200, **context: object) -> HttpResponse:
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, account_id: int) -> HttpResponse:
    account = newsletter.newsletter_account(account_id)
    if account is None:
        raise Http404("No such newsletter.")
    error = ""
    if request.method == "POST":
        try:
            newsletter.subscriber_signup(
                account=account,
                email=request.POST.get("email", ""),
                source=client_address(request),
            )
        except Throttled as exc:
            page = _page(
                request,
                status=429,
                title="Please wait a little",
                message=exc.message,
            )
            page["Retry-After"] = str(exc.retry_after)
            return page
        except ValidationError:
            error = "Enter a valid email address."
        else:
            # The same answer whether the address was new, pending (mailed or
            # not, see NEWSLETTER_RESEND_SECONDS) or already confirmed.
            return _page(
                request,
                title="Check your inbox",
                message=f"We sent a link to confirm your subscription to "
                f"{account.name}. Nothing is sent to you before you click it.",
            )
    return _page(
        request,
        status=400 if error else 200,
        title=f"Subscribe to {account.name}",
        form="subscribe",
        error=error,
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET shows a button: link scanners that open every URL must not subscribe
    # anyone.
    if request.method == "GET":
        return _page(request, title="Confirm your subscription", form="confirm")
    try:
        subscriber = newsletter.subscriber_confirm(token=token)
    except newsletter.InvalidToken as exc:
        return _page(
            request, status=400, title="Link not valid", message=exc.messages[0]
        )
    return _page(
        request,
        title="Subscription confirmed",
        message=f"You will receive {subscriber.account.name}. Every issue has an "
        "unsubscribe link.",
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = newsletter.subscriber_by_unsubscribe_token(token)
    if subscriber is None:
        raise Http404("No such subscription.")
    if request.method == "GET":
        return _page(
            request,
            title=f"Unsubscribe from {subscriber.account.name}",
            form="unsubscribe",
            email=subscriber.email,
        )
    newsletter.subscriber_unsubscribe(token=token)
    return _page(
        request,
        title="You are unsubscribed",
        message=f"{subscriber.email} will receive no more of "
        f"{subscriber.account.name}.",
    )
