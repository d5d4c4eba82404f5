"""Writing the audit log (`record`) and the outbox (`emit`, `claim`).

Both write in the caller's transaction: no `atomic` of their own and no
`on_commit`. An audit row then exists exactly when the change it describes
committed (a rolled-back approval leaves no "post.approved"), and an outbox
event cannot be sent for a change that never happened, nor be lost for one
that did (the classic outbox: the sender reads committed rows only). Call them
inside the transaction that makes the change.

Who acted comes from the principal (`actor_of`) or the request
(`actor_from_request`): a signed-in person, a person through a personal access
token (the token's name is kept), an API key, or the system (a label).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from events.actions import ACTIONS
from events.models import AuditEvent, OutboxEvent
from workspaces.models import ApiKey, PersonalAccessToken, User, Workspace
from workspaces.services.api_keys import KEY_PREFIX
from workspaces.services.personal_tokens import TOKEN_PREFIX
from workspaces.token_models import used_token

REDACTED = "[redacted]"
# Keys whose values are secrets whatever they hold ("token_name" is not one).
_SECRET_NAME = re.compile(
    r"secret|passw|credential|authoriz|cookie|private|signature"
    r"|(^|_)(token|key|hash)s?$",
    re.IGNORECASE,
)
# An API key's or personal token's secret anywhere in a string, and bearer values.
_SECRET_VALUE = re.compile(
    rf"\b(?:{KEY_PREFIX}|{TOKEN_PREFIX})_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"
    r"|\bBearer\s+\S+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Actor:
    """Who acted. Nobody at all (all empty) is the system without a name."""

    user: User | None = None
    key: ApiKey | None = None
    token_name: str = ""
    label: str = ""


SYSTEM = Actor()


def actor_of(principal: object, *, system: str = "") -> Actor:
    """The actor for a principal (`User`, `ApiKey`, anonymous or None); a
    person's personal access token is read from the mark its authentication
    left (`workspaces.token_models.attach_token`). `system` names the system
    when no person or key acted."""
    if isinstance(principal, ApiKey):
        return Actor(key=principal, label=principal.name)
    if isinstance(principal, User) and principal.is_authenticated:
        token = used_token(principal)
        return Actor(
            user=principal,
            token_name=token.name if token is not None else "",
            label=principal.email,
        )
    return Actor(label=system)


def actor_from_request(request: Any) -> Actor:
    """The actor of a DRF or Django request: `request.user` is the person or
    the key (`ApiKeyAuthentication`), `request.auth` the personal access token
    a person authenticated with (`PersonalAccessTokenAuthentication`)."""
    principal = getattr(request, "user", None)
    actor = actor_of(principal)
    token = getattr(request, "auth", None)
    if actor.user is not None and isinstance(token, PersonalAccessToken):
        return Actor(user=actor.user, token_name=token.name, label=actor.label)
    return actor


def scrub(value: Any) -> Any:
    """`value` as plain JSON with secrets replaced by REDACTED: values under
    secret-sounding keys, and key or token secrets and bearer values inside
    strings. A net, not a licence: callers pass no secrets in the first place."""
    plain = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return _scrub(plain)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            str(k): REDACTED if _SECRET_NAME.search(str(k)) else _scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    return value


def _resolve_actor(actor: Actor | object, key: ApiKey | None, system: str) -> Actor:
    resolved = actor if isinstance(actor, Actor) else actor_of(actor, system=system)
    if key is not None and resolved.key is None and resolved.user is None:
        resolved = actor_of(key)
    if system and not resolved.label:
        resolved = Actor(resolved.user, resolved.key, resolved.token_name, system)
    return resolved


def build(
    *,
    workspace: Workspace | int,
    action: str,
    actor: Actor | object = None,
    key: ApiKey | None = None,
    target: models.Model | None = None,
    data: Mapping[str, Any] | None = None,
    system: str = "",
    at: datetime | None = None,
    target_repr: str | None = None,
) -> AuditEvent:
    """An unsaved audit row (for `record_all`); `record` saves one at once.

    `actor` is an `Actor`, a principal (`User`, `ApiKey`) or None; `key` names
    the acting key when `actor` does not; `system` labels a system act;
    `target_repr` replaces `str(target)` (which may load deferred fields).
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to events.actions.")
    who = _resolve_actor(actor, key, system)
    event = AuditEvent(
        actor=who.user,
        actor_key=who.key,
        actor_token_name=who.token_name[:100],
        actor_label=who.label[:254],
        action=action,
        data=scrub(dict(data or {})),
        created_at=at or timezone.now(),
    )
    if isinstance(workspace, Workspace):
        event.workspace = workspace
        event.organization_id = workspace.organization_id
    else:
        event.workspace_id = workspace
    if target is not None:
        event.target_type = target._meta.model_name or ""
        event.target_id = str(target.pk)
        event.target_repr = (str(target) if target_repr is None else target_repr)[:200]
    return event


def record_all(
    events: Sequence[AuditEvent], batch_size: int = 1000
) -> list[AuditEvent]:
    """Save rows made by `build` in batched INSERTs, in the caller's
    transaction; rows built from a workspace id get its organization in one
    query for the lot."""
    missing = {e.workspace_id for e in events if e.organization_id is None}
    if missing:
        organizations = dict(
            Workspace.objects.filter(pk__in=missing).values_list(
                "pk", "organization_id"
            )
        )
        for event in events:
            if event.organization_id is None:
                event.organization_id = organizations.get(event.workspace_id)
    return AuditEvent.objects.bulk_create(list(events), batch_size=batch_size)


def record(
    *,
    workspace: Workspace | int,
    action: str,
    actor: Actor | object = None,
    key: ApiKey | None = None,
    target: models.Model | None = None,
    data: Mapping[str, Any] | None = None,
    system: str = "",
) -> AuditEvent:
    """Record one act in `workspace`'s audit log, in the caller's transaction
    (see the module's docstring). `ValueError` for an action missing from
    `events.actions`."""
    event = build(
        workspace=workspace,
        action=action,
        actor=actor,
        key=key,
        target=target,
        data=data,
        system=system,
    )
    return record_all([event])[0]


# --- the outbox -----------------------------------------------------------------


def emit(
    *, workspace: Workspace | int, type: str, payload: Mapping[str, Any] | None = None
) -> OutboxEvent:
    """Add a domain event for the outgoing webhooks, in the caller's
    transaction (see the module's docstring); the payload is scrubbed like an
    audit row's data, since it leaves the system."""
    if not type:
        raise ValueError("An outbox event needs a type.")
    event = OutboxEvent(
        type=type, payload=scrub(dict(payload or {})), created_at=timezone.now()
    )
    if isinstance(workspace, Workspace):
        event.workspace = workspace
    else:
        event.workspace_id = workspace
    event.save()
    return event


def claim(limit: int = 100) -> list[OutboxEvent]:
    """Lock and return up to `limit` of the oldest unpublished events, counting
    an attempt on each. Rows another sender holds are skipped (SKIP LOCKED), so
    senders run side by side without sending an event twice. Call inside a
    transaction that lasts until the batch is sent and `mark_published`: the
    locks end with it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "claim() holds row locks: call it inside transaction.atomic."
        )
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(published_at__isnull=True)
        .order_by("created_at", "pk")[:limit]
    )
    if events:
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            attempts=models.F("attempts") + 1
        )
        for event in events:
            event.attempts += 1
    return events


def mark_published(events: Iterable[OutboxEvent]) -> int:
    """Mark claimed events as sent; returns how many were still unpublished."""
    now = timezone.now()
    return OutboxEvent.objects.filter(
        pk__in=[e.pk for e in events], published_at__isnull=True
    ).update(published_at=now)
