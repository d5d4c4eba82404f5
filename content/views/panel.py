"""The variants panel's context: one tab per channel (network) of the post, its
variants with gate, rule report, provenance and edit history, and the job in
progress. Shared by the post editor (full page) and the panel's HTMX answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render

from campaigns import lifecycle
from campaigns.models import Post
from connections.models import ChannelAccount, Network
from content.forms import GenerateForm
from content.models import Generation, Variant, VariantStatus
from content.services import copy_checks
from content.services.budget import resolve_provider
from networks import textrules
from workspaces.models import Role, User
from workspaces.permissions import Action, can, role_in_workspace
from workspaces.views.common import WorkspaceRequest

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
    generate_form: GenerateForm | None = None

    @property
    def max_length(self) -> int | None:
        """The strictest length the channel's accounts allow (an account may
        set its own, as a Mastodon instance does): what the counter shows."""
        if self.network not in textrules.RULES:
            return None
        lengths = [
            limit
            for account in self.accounts
            if (limit := copy_checks.account_limits(account).max_length) is not None
        ]
        if lengths:
            return min(lengths)
        return textrules.RULES[self.network].max_length

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
    for tab in tabs.values():
        for variant in tab.variants:
            _annotate(variant, tab.accounts)
    return sorted(tabs.values(), key=lambda t: t.label.lower())


def _annotate(variant: Variant, accounts: list[ChannelAccount]) -> None:
    """What the variant's badge lists: every limit its text breaks for the
    channel's accounts, the brand's rules and the gate's reasons (`problems`);
    the blocking limits (`limit_problems`) say why it cannot be chosen."""
    if variant.network in textrules.RULES:
        limits = copy_checks.variant_findings(variant, accounts)
    else:  # a network without rules (removed since): nothing to measure
        limits = []
    problems = copy_checks.problems_of(variant, limits)
    variant.limit_problems = [f.message for f in limits if f.blocking]
    variant.fit_problems = [f.message for f in limits]
    variant.brand_problems = [f.message for f in problems if f.kind != "limit"]
    variant.problems = [f.message for f in problems]
    variant.gate_problems = [f.message for f in problems if f.kind == "gate"]


def stream_token(post: Post, user: User) -> str:
    """Signs the stream URL: EventSource can only GET, so this stands in for the
    CSRF token (another site cannot make a person's browser spend the budget)."""
    return signing.dumps({"post": post.pk, "user": user.pk}, salt=STREAM_SALT)


def panel_context(
    request: WorkspaceRequest,
    post: Post,
    *,
    form: GenerateForm | None = None,
    error: str = "",
    notice: str = "",
    generation: Generation | None = None,
) -> dict[str, Any]:
    user = request.user
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
    channels = channels_of(post)
    for channel in channels:
        channel.generate_form = _generate_form(channel.network, form)
    return {
        "post": post,
        "channels": channels,
        "may_generate": may_edit,
        "may_override": role_in_workspace(user, post.workspace)
        in (Role.OWNER, Role.ADMIN),
        "variants_error": error,
        "variants_notice": notice,
        "generation": generation if generation and not generation.is_finished else None,
        "provider_choice": choice,
        "offline_note": OFFLINE_NOTE,
        "stream_token": stream_token(post, user) if may_edit else "",
    }


def _generate_form(network: str, sent: GenerateForm | None) -> GenerateForm:
    """Each tab's own generate form (ids unique on the page); the one sent
    comes back, with its errors, on its own tab."""
    if sent is not None and sent.is_bound and sent.data.get("network") == network:
        form = sent
    else:
        form = GenerateForm(initial={"network": network})
    form.auto_id = f"id_generate_{network}_%s"
    return form


def render_panel(
    request: WorkspaceRequest, post: Post, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    return render(request, PANEL, panel_context(request, post, **kwargs), status=status)
