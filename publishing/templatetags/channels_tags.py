"""`{% post_publications post %}`: the post page's publication status per account,
with the actions the person may take (publish now, retry, cancel, resolve,
approve edited copy) and, where a retry cannot help, the way out (edit the
copy, reconnect the account)."""

from __future__ import annotations

from typing import Any

from django import template

from connections.forms import CONNECT_FORMS
from publishing import failures, selectors
from publishing.models import Publication
from workspaces.permissions import Action, can

register = template.Library()


@register.inclusion_tag("channels/_post_publications.html", takes_context=True)
def post_publications(context: template.Context, post: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = list(
        Publication.objects.filter(post=post)
        .select_related("account", "workspace")
        .order_by("account__name", "pk")
    )
    # No user: may do nothing, as can() answers for an anonymous one.
    may_edit = user is not None and can(user, Action.EDIT_CONTENT, post.workspace)
    with_rows = {p.account_id for p in rows}
    return {
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "may_edit": may_edit,
        "may_manage_channels": user is not None
        and can(user, Action.MANAGE_CHANNELS, post.workspace),
        "credential_networks": sorted(CONNECT_FORMS),
        "rows": [
            {
                "p": p,
                "actions": selectors.publication_allowed_actions(
                    p, user, may_edit=may_edit
                ),
                "fix": failures.fix_for(p),
                "fix_reason": failures.not_retryable_reason(p),
                "own_edit": p.review_requested_by_id is not None
                and p.review_requested_by_id == getattr(user, "pk", None),
            }
            for p in rows
        ],
        # Accounts the post targets that get no publication: planning only.
        "planning_only": [
            a for a in post.accounts.all() if a.planning_only and a.pk not in with_rows
        ],
    }
