"""The post body's live counters: one per channel account the post may go to,
each in its network's measure and against the account's own limit
(`static/js/charcount.js` shows those whose account is ticked)."""

from __future__ import annotations

from typing import Any

from django import template

from campaigns import lifecycle
from connections.models import ChannelAccount, Network
from content.services.copy_checks import account_limits, limit_problems
from networks import textrules

register = template.Library()

# The post form's fields whose ticked accounts the post goes to.
ACCOUNT_FIELDS = ("accounts", "add_to_campaign")


def _accounts(form: Any) -> list[ChannelAccount]:
    found: dict[int, ChannelAccount] = {}
    for name in ACCOUNT_FIELDS:
        field = form.fields.get(name) if form is not None else None
        queryset = getattr(field, "queryset", None)
        if queryset is not None:
            for account in queryset:
                found.setdefault(account.pk, account)
    return sorted(found.values(), key=lambda a: (a.network, a.name, a.pk))


@register.inclusion_tag("content/variants/_body_counters.html")
def body_counters(
    form: Any, field: str = "body", fallback: str = "topic"
) -> dict[str, Any]:
    """Counters for `form[field]`, one per account `form` offers; the text
    measured is `form[fallback]` while the field is empty (the publisher sends
    the topic then)."""
    labels = dict(Network.choices)
    rows = [
        {
            "account": account,
            "network": account.network,
            "label": labels.get(account.network, account.network),
            "max_length": account_limits(account).max_length,
        }
        for account in _accounts(form)
        if account.network in textrules.RULES
    ]
    return {
        "rows": rows,
        "field_id": form[field].auto_id if form is not None else "",
        "fallback_id": form[fallback].auto_id if form is not None else "",
    }


@register.inclusion_tag("content/variants/_limit_notice.html")
def limit_notice(post: Any, actions: Any) -> dict[str, Any]:
    """What stops the post's next step toward publishing (copy or images over a
    channel's limit), shown above the buttons it would refuse; nothing when no
    such step is offered."""
    offered = {getattr(move, "action", move) for move in actions or ()}
    if not offered & set(lifecycle.CHECKED_MOVES):
        return {"problems": []}
    return {"problems": limit_problems(post)}
