"""Posts on the calendar: create, edit, move in time, comment.

Status changes are not here: they go through `campaigns.lifecycle`, which these
functions call when an edit has consequences (an approved post whose text
changed goes back to review).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import (
    Campaign,
    CampaignChannel,
    Pillar,
    Post,
    PostComment,
    PostOrigin,
    PostStatus,
)
from campaigns.services.brands import require
from campaigns.terms import clean_terms
from connections.models import ChannelAccount
from core.timezones import to_local
from workspaces.models import ApiKey, User
from workspaces.permissions import Action, can

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger(__name__)

CONTENT_FIELDS = (
    "topic",
    "angle",
    "body",
    "link",
    "image",
    "pillar",
    "accounts",
    "tags",
    "categories",
)
FIELDS = (*CONTENT_FIELDS, "scheduled_at", "notes", "owner", "add_to_campaign")
# A channel added to a campaign from the post editor posts this often until
# someone sets its cadence on the campaign (the least the campaign allows).
ADDED_CHANNEL_PER_WEEK = 1


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_time(
    campaign: Campaign, when: datetime | None, errors: dict[str, list[str]]
) -> None:
    """A post's time must fall on a campaign day that is not blacked out."""
    if when is None:
        return
    if timezone.is_naive(when):
        _add(errors, "scheduled_at", "Give the time with its UTC offset.")
        return
    day: date = to_local(when, campaign.time_zone).date()
    if not campaign.start_date <= day <= campaign.end_date:
        _add(
            errors,
            "scheduled_at",
            f"{day} is outside the campaign "
            f"({campaign.start_date} to {campaign.end_date}).",
        )
    elif day.isoformat() in campaign.blackout_dates:
        _add(errors, "scheduled_at", f"{day} is a blackout date of this campaign.")


def campaign_channel_ids(campaign: Campaign) -> set[int]:
    """The accounts a post of `campaign` may target without adding anything:
    the campaign's channels (empty: a campaign that names none accepts every
    account of its workspace)."""
    return set(campaign.cadences.values_list("account_id", flat=True))


def may_add_channels(by: Principal, campaign: Campaign) -> bool:
    """Whether `by` may add a channel to `campaign` while editing a post: the
    rule of `campaign_update` (edit_content in the campaign's workspace)."""
    return can(by, Action.EDIT_CONTENT, campaign.workspace)


def _check_accounts(
    post: Post, data: dict[str, Any], by: Principal, errors: dict[str, list[str]]
) -> tuple[list[ChannelAccount] | None, list[ChannelAccount]]:
    """The post's accounts and those to add to its campaign first.

    An account a post targets is a channel of its campaign. One that is not
    yet is accepted only when it is also listed in `add_to_campaign` (or only
    there), by someone who may edit the campaign: the save adds it to the
    campaign's channels. Anything else is refused with a field message that
    says how to fix it; an account of another workspace is never attached.
    """
    campaign = post.campaign
    allowed = campaign_channel_ids(campaign)
    adding: list[ChannelAccount] = []
    for account in list(data.get("add_to_campaign") or []):
        if account.workspace_id != post.workspace_id:
            _add(
                errors, "add_to_campaign", "No such channel account in this workspace."
            )
        elif not may_add_channels(by, campaign):
            _add(errors, "add_to_campaign", "Only editors may add channels.")
        elif account.pk not in allowed and account not in adding:
            adding.append(account)
    if "accounts" not in data and not adding:
        return None, []
    if "accounts" in data:
        accounts = list(data["accounts"] or [])
    elif post.pk:
        accounts = list(post.accounts.all())
    else:  # a new post targets the campaign's channels by default
        accounts = [c.account for c in campaign.cadences.select_related("account")]
    adding_ids = {a.pk for a in adding}
    for account in accounts:
        if account.workspace_id != post.workspace_id:
            _add(errors, "accounts", "No such channel account in this workspace.")
        elif allowed and account.pk not in allowed and account.pk not in adding_ids:
            _add(
                errors,
                "accounts",
                f"{account} is not a channel of the campaign “{campaign}”: "
                "add it to the campaign (add_to_campaign) or choose another.",
            )
    chosen = {a.pk for a in accounts}
    accounts += [a for a in adding if a.pk not in chosen]
    return accounts, adding


def _validate(
    post: Post, data: dict[str, Any], by: Principal
) -> tuple[list[ChannelAccount] | None, list[ChannelAccount]]:
    """Check `data` against the post's campaign and workspace; set what is valid.

    Returns the post's accounts (None: unchanged) and the accounts to add to
    the campaign's channels in the same save."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(data) - set(FIELDS)):
        _add(errors, name, "Unknown field.")
    campaign = post.campaign
    for name in ("topic", "angle", "body", "link", "notes"):
        if name in data:
            setattr(post, name, (data[name] or "").strip())
    if not post.topic:
        _add(errors, "topic", "A post needs a topic.")
    elif len(post.topic) > 300:
        _add(errors, "topic", "300 characters at most.")
    if len(post.angle) > 300:
        _add(errors, "angle", "300 characters at most.")
    if post.link and not post.link.startswith(("https://", "http://")):
        _add(errors, "link", "Give a full web address starting with https://.")
    for name in ("tags", "categories"):
        if name in data:
            try:
                setattr(post, name, clean_terms(data[name], name))
            except ValidationError as error:
                for message in error.message_dict[name]:
                    _add(errors, name, message)
    if "pillar" in data:
        pillar: Pillar | None = data["pillar"]
        if pillar is not None and pillar.campaign_id != campaign.pk:
            _add(errors, "pillar", "No such pillar in this campaign.")
        post.pillar = pillar
    if "image" in data:
        image = data["image"]  # a content Asset, or None
        if image is not None and image.workspace_id != post.workspace_id:
            _add(errors, "image", "No such image in this workspace.")
        post.image = image
    if "owner" in data:
        owner: User | None = data["owner"]
        post.owner = owner
    if "scheduled_at" in data:
        post.scheduled_at = data["scheduled_at"]
        check_time(campaign, post.scheduled_at, errors)
    accounts, adding = _check_accounts(post, data, by, errors)
    if errors:
        raise ValidationError(errors)
    return accounts, adding


def _add_channels(campaign: Campaign, accounts: list[ChannelAccount]) -> None:
    for account in accounts:
        CampaignChannel.objects.get_or_create(
            campaign=campaign,
            account=account,
            defaults={"posts_per_week": ADDED_CHANNEL_PER_WEEK},
        )
    if accounts:
        logger.info(
            "campaign %s: channels %s added from the post editor",
            campaign.pk,
            ",".join(str(a.pk) for a in accounts),
        )


def post_create(
    *,
    campaign: Campaign,
    by: Principal,
    data: dict[str, Any],
    origin: str = PostOrigin.MANUAL,
) -> Post:
    """A new draft on the calendar."""
    require(by, Action.EDIT_CONTENT, campaign.workspace)
    post = Post(
        workspace=campaign.workspace,
        campaign=campaign,
        origin=origin,
        created_by=by if isinstance(by, User) else None,
        owner=by if isinstance(by, User) else None,
        touched_at=timezone.now(),
    )
    accounts, adding = _validate(post, data, by)
    if accounts is None:
        accounts = [c.account for c in campaign.cadences.select_related("account")]
    with transaction.atomic():
        _add_channels(campaign, adding)
        post.save()
        post.accounts.set(accounts)
        lifecycle.record_creation(post, by=by)
    return post


def record_move(post: Post, by: object, was: datetime | None) -> None:
    """Note on a planned post that a person moved it from `was` (not saved here:
    the caller saves the post). Posts without a planned slot are left alone."""
    reason = post.plan_reason
    if not isinstance(reason, dict) or "slot" not in reason:
        return
    if was is None or post.scheduled_at is None or post.scheduled_at == was:
        return
    who = by.display_name if isinstance(by, User) else "an API key"
    post.plan_reason = {
        **reason,
        "moved": {
            "by": who,
            "from": was.isoformat(),
            "at": timezone.now().isoformat(timespec="seconds"),
        },
    }


def post_update(*, post: Post, by: Principal, data: dict[str, Any]) -> Post:
    """Edit a post; content changes after approval send it back to review."""
    require(by, Action.EDIT_CONTENT, post.workspace)
    lifecycle.ensure_editable(post)
    before = {
        name: getattr(post, name) for name in CONTENT_FIELDS if name != "accounts"
    }
    before_accounts = set(post.accounts.values_list("pk", flat=True))
    was = post.scheduled_at
    accounts, adding = _validate(post, data, by)
    record_move(post, by, was)  # "Why this slot" then names who moved it
    if (
        post.status == PostStatus.SCHEDULED
        and "scheduled_at" in data
        and (post.scheduled_at is None or post.scheduled_at <= timezone.now())
    ):
        raise ValidationError(
            {"scheduled_at": ["A scheduled post needs a time in the future."]}
        )
    changed = any(getattr(post, name) != value for name, value in before.items()) or (
        accounts is not None and {a.pk for a in accounts} != before_accounts
    )
    post.touched_at = timezone.now()
    with transaction.atomic():
        _add_channels(post.campaign, adding)
        post.save()
        if accounts is not None:
            post.accounts.set(accounts)
        if post.scheduled_at != was:
            lifecycle.after_time_change(post)
        lifecycle.after_edit(post, by=by, content_changed=changed)
    return post


def post_reschedule(*, post: Post, by: Principal, when: datetime) -> Post:
    """Move a post in time (the calendar's drag and drop); keeps its approval."""
    return post_update(post=post, by=by, data={"scheduled_at": when})


def post_delete(*, post: Post, by: Principal) -> None:
    require(by, Action.EDIT_CONTENT, post.workspace)
    if post.status not in (PostStatus.DRAFT, PostStatus.CANCELED, PostStatus.REJECTED):
        from core.errors import ConflictError

        raise ConflictError(
            "Only drafts, rejected and canceled posts can be deleted; cancel it first.",
            code="not_deletable",
        )
    post.delete()


def comment_create(*, post: Post, by: Principal, body: str) -> PostComment:
    require(by, Action.COMMENT, post.workspace)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something."]})
    if len(body) > 5000:
        raise ValidationError({"body": ["5000 characters at most."]})
    return PostComment.objects.create(
        post=post,
        author=by if isinstance(by, User) else None,
        author_key=by if isinstance(by, ApiKey) else None,
        body=body,
    )
