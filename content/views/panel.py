"""The variants panel's context: one tab per channel (network) of the post, its
variants with gate, rule report, provenance and edit history, and the job in
progress. Shared by the post editor (full page) and the panel's HTMX answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campaigns import lifecycle
from campaigns.models import Post, Role, User
from campaigns.permissions import Action, can, role_in_workspace
from channels.models import ChannelAccount, Network
from content import channel_rules
from content.forms import GenerateForm
from content.models import Generation, Variant, VariantStatus
from content.services.budget import resolve_provider

PANEL = "content/variants/_panel.html"
STREAM_SALT = "content.variant-stream"
OFFLINE_NOTE = "Offline draft (rules, no AI)"


@dataclass
class Channel:
    """One tab: a network of the post, the accounts on it, their variants."""

    network: str
    label: str
    accounts: list[ChannelAccount] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)

    @property
    def max_length(self) -> int | None:
        rules = channel_rules.RULES.get(self.network)
        return rules.max_length if rules else None

    @property
    def chosen(self) -> Variant | None:
        return next(
            (v for v in self.variants if v.status == VariantStatus.CHOSEN), None
        )


def channels_of(post: Post) -> list[Channel]:
    labels = dict(Network.choices)
    tabs: dict[str, Channel] = {}
    for account in post.accounts.all():
        tab = tabs.setdefault(
            account.network,
            Channel(account.network, labels.get(account.network, account.network)),
        )
        tab.accounts.append(account)
    variants = (
        Variant.objects.filter(post=post)
        .select_related("gate_overridden_by", "created_by")
        .prefetch_related("edits__by")
        .order_by("network", "label", "pk")
    )
    for variant in variants:
        tab = tabs.setdefault(
            variant.network,
            Channel(variant.network, labels.get(variant.network, variant.network)),
        )
        tab.variants.append(variant)
    return sorted(tabs.values(), key=lambda t: t.label.lower())


def stream_token(post: Post, user: User) -> str:
    """Signs the stream URL: EventSource can only GET, so this stands in for the
    CSRF token (another site cannot make a person's browser spend the budget)."""
    return signing.dumps({"post": post.pk, "user": user.pk}, salt=STREAM_SALT)


def panel_context(
    request: HttpRequest,
    post: Post,
    *,
    form: GenerateForm | None = None,
    error: str = "",
    notice: str = "",
    generation: Generation | None = None,
) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    may_edit = (
        can(user, Action.EDIT_CONTENT, post.workspace)
        and post.status not in lifecycle.LOCKED_STATES
    )
    if generation is None:
        generation = (
            Generation.objects.filter(post=post, status__in=["queued", "running"])
            .exclude(options__stream=True)
            .order_by("-created_at", "-pk")
            .first()
        )
    choice = resolve_provider(post.workspace)
    return {
        "post": post,
        "channels": channels_of(post),
        "may_generate": may_edit,
        "may_override": role_in_workspace(user, post.workspace)
        in (Role.OWNER, Role.ADMIN),
        "generate_form": form or GenerateForm(),
        "variants_error": error,
        "variants_notice": notice,
        "generation": generation if generation and not generation.is_finished else None,
        "provider_choice": choice,
        "offline_note": OFFLINE_NOTE,
        "stream_token": stream_token(post, user) if may_edit else "",
    }


def render_panel(
    request: HttpRequest, post: Post, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    return render(request, PANEL, panel_context(request, post, **kwargs), status=status)
