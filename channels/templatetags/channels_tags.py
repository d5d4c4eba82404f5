"""`{% post_publications post %}`: the post page's publication status per account,
with the actions the person may take (publish now, retry, cancel, resolve)."""

from __future__ import annotations

from typing import Any

from django import template

from campaigns.permissions import Action, can
from channels import selectors
from channels.models import Publication

register = template.Library()


@register.inclusion_tag("channels/_post_publications.html", takes_context=True)
def post_publications(context: template.Context, post: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = list(
        Publication.objects.filter(post=post)
        .select_related("account")
        .order_by("account__name", "pk")
    )
    may_edit = bool(rows) and can(user, Action.EDIT_CONTENT, post.workspace)  # type: ignore[arg-type]
    return {
        "csrf_token": context.get("csrf_token"),
        "rows": [
            (p, selectors.publication_allowed_actions(p, user, may_edit=may_edit))
            for p in rows
        ],
    }
