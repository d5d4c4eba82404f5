"""Server-sent events for "Stream a variant": the text as the model writes it.

Events: `delta` ({"text": …}) for each piece, then `done` ({"variant_id",
"label", "network"}) once the variant is checked and stored, or `error`
({"message": …}) with a readable reason (budget, provider, channel). The
browser's EventSource can only GET, so the URL carries a signed token bound to
the person and the post instead of a CSRF token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from content import services
from content.models import Variant
from content.views.panel import STREAM_SALT
from content.views.variants import EDIT_FORBIDDEN, _post
from core.errors import ConflictError
from networks.copy_types import LLMError
from workspaces.permissions import Action
from workspaces.views.common import WorkspaceRequest, require, workspace_view

logger = logging.getLogger(__name__)
TOKEN_MAX_AGE = 60 * 60 * 12
BAD_LINK = "This stream link is not valid; reload the page."


def event(name: str, data: dict[str, object]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _events(pieces: Iterator[str | Variant]) -> Iterator[str]:
    try:
        for piece in pieces:
            if isinstance(piece, Variant):
                yield event(
                    "done",
                    {
                        "variant_id": piece.pk,
                        "label": piece.label,
                        "network": piece.network,
                    },
                )
            else:
                yield event("delta", {"text": piece})
    except LLMError as error:
        yield event("error", {"message": f"The provider failed: {error}"})
    except Exception:
        logger.exception("variant stream failed")
        yield event("error", {"message": "Internal error: the variant was not saved."})


def _stream_response(body: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through
    return response


def _one(name: str, message: str) -> Iterator[str]:
    yield event(name, {"message": message})


@require_GET
@workspace_view
def stream(request: WorkspaceRequest, pk: int) -> StreamingHttpResponse:
    post = _post(request, pk)
    require(request, Action.EDIT_CONTENT, EDIT_FORBIDDEN)
    try:
        claims = signing.loads(
            request.GET.get("token", ""), salt=STREAM_SALT, max_age=TOKEN_MAX_AGE
        )
    except signing.BadSignature as error:
        raise PermissionDenied(BAD_LINK) from error
    if claims != {"post": post.pk, "user": request.user.pk}:
        raise PermissionDenied(BAD_LINK)
    network = request.GET.get("network", "")
    try:
        pieces = services.variant_stream(
            post=post,
            by=request.user,
            network=network,
            tone=request.GET.get("tone", ""),
            language=request.GET.get("language", ""),
        )
    except ValidationError as error:
        return _stream_response(_one("error", " ".join(error.messages)))
    except ConflictError as error:
        return _stream_response(_one("error", str(error)))
    return _stream_response(_events(pieces))
