"""A publication's actions from the post page (publish now, retry, cancel,
resolve, approve), each calling one service and going back to the post, and
the small JSON the calendar polls for publication status.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import ConflictError
from publishing import selectors, services
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from workspaces.views.common import WorkspaceRequest, workspace_view

ACTIONS = {"publish-now", "retry", "cancel", "resolve", "approve"}


@require_POST
@workspace_view
def publication_action(request: WorkspaceRequest, pk: int, name: str) -> HttpResponse:
    """A publication's action from the post page; back to the post."""
    publication = get_object_or_404(
        Publication.objects.select_related("workspace", "account"),
        pk=pk,
        workspace=request.workspace,
    )
    if name not in ACTIONS:
        raise Http404("No such action.")
    by = request.user
    answer: dict[str, str] = {}
    if name == "resolve":
        outcome = request.POST.get("outcome", "")
        if outcome not in ("published", "not_published", "retry"):
            messages.error(request, "Say whether it is on the network.")
            return redirect("post-editor", publication.post_id)
        url = request.POST.get("url", "").strip()
        if url and not url.startswith(("https://", "http://")):
            messages.error(request, "The post's address starts with https://.")
            return redirect("post-editor", publication.post_id)
        answer = {"outcome": outcome, "url": url if outcome == "published" else ""}
    try:
        services.publication_act(name=name, publication=publication, by=by, **answer)
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
def calendar_publications(request: WorkspaceRequest) -> JsonResponse:
    """`?posts=1,2,3` → publication status per post, for the calendar's cards.

    One query, limited to the current workspace and to at most 500 posts (a
    month view), so polling it every few seconds stays cheap.
    """
    raw = request.GET.get("posts", "")
    ids = [int(p) for p in raw.split(",") if p.isascii() and p.isdigit()][:500]
    rows = selectors.publication_statuses_for_posts(
        ids,
        workspace_id=request.workspace.pk,
    )
    return JsonResponse({"posts": {str(k): v for k, v in rows.items()}})
