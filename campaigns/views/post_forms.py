"""Forms of the calendar and the post editor: input shape only, rules in services.

Times are entered as a local date and time in the campaign's zone; `when()`
turns them into a UTC instant with the explicit DST policy of
`core.timezones` (a skipped local time is an error on the time field).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from campaigns.forms import choice_field
from campaigns.models import Campaign, Pillar, Post
from campaigns.services.posts import campaign_channel_ids
from campaigns.terms import default_categories, hashtags, parse_names
from connections.models import ChannelAccount, Network
from core.timezones import local_to_utc, to_local
from workspaces.models import Workspace

if TYPE_CHECKING:
    _AccountsField = forms.ModelMultipleChoiceField[ChannelAccount]
else:  # generic in django-stubs only, not subscriptable at runtime
    _AccountsField = forms.ModelMultipleChoiceField


class AccountChoiceField(_AccountsField):
    def label_from_instance(self, obj: ChannelAccount) -> str:
        return f"{obj.get_network_display()} · {obj.name}"


class LocalTimeMixin(forms.Form):
    """A date and a time in the campaign's zone, both optional together."""

    date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def when(self, time_zone: str) -> datetime | None:
        """The UTC instant, or None for "no time yet"; errors land on the form."""
        day: date | None = self.cleaned_data.get("date")
        at: time | None = self.cleaned_data.get("time")
        if day is None and at is None:
            return None
        if day is None or at is None:
            self.add_error(
                "date" if day is None else "time", "Give both a date and a time."
            )
            raise ValidationError("incomplete")
        try:
            return local_to_utc(datetime.combine(day, at), time_zone)
        except ValidationError as error:
            self.add_error("time", error.messages)
            raise


def _initial(post: Post, channel_ids: set[int], current: list[int]) -> dict[str, Any]:
    """The edit form's values for `post`: its time in the campaign's zone, its
    accounts split into the campaign's channels and the others."""
    local = (
        to_local(post.scheduled_at, post.campaign.time_zone)
        if post.scheduled_at
        else None
    )
    return {
        "topic": post.topic,
        "angle": post.angle,
        "body": post.body,
        "link": post.link,
        "pillar": post.pillar_id,
        "accounts": [pk for pk in current if not channel_ids or pk in channel_ids],
        "add_to_campaign": [
            pk for pk in current if channel_ids and pk not in channel_ids
        ],
        "notes": post.notes,
        "tags": ", ".join(post.tags or []),
        "categories": ", ".join(post.categories or []),
        "date": local.date() if local else None,
        "time": local.time().replace(second=0) if local else None,
    }


class PostForm(LocalTimeMixin):
    topic = forms.CharField(max_length=300)
    angle = forms.CharField(max_length=300, required=False)
    body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Draft copy"
    )
    link = forms.URLField(max_length=1000, required=False, assume_scheme="https")
    pillar = forms.ModelChoiceField(
        queryset=Pillar.objects.none(), required=False, empty_label="No pillar"
    )
    accounts = AccountChoiceField(
        queryset=ChannelAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Channel accounts",
    )
    add_to_campaign = AccountChoiceField(
        queryset=ChannelAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Also add to this campaign",
        help_text="A ticked account becomes a channel of the campaign "
        "(1 post a week; change it on the campaign) and this post goes there too.",
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Internal notes",
    )
    tags = forms.CharField(
        required=False,
        label="Blog tags",
        help_text="WordPress only; separate with commas. Leave empty to use the "
        "hashtags of the copy.",
    )
    categories = forms.CharField(
        required=False,
        label="Blog categories",
        help_text="WordPress only; separate with commas. Leave empty to use the "
        "post's pillar.",
    )
    field_order = [
        "topic",
        "angle",
        "body",
        "link",
        "pillar",
        "accounts",
        "add_to_campaign",
        "tags",
        "categories",
        "date",
        "time",
        "notes",
    ]

    def clean_tags(self) -> list[str] | None:
        return parse_names(self.cleaned_data.get("tags") or "")

    def clean_categories(self) -> list[str] | None:
        return parse_names(self.cleaned_data.get("categories") or "")

    def __init__(
        self, *args: Any, post: Post, may_add: bool = False, **kwargs: Any
    ) -> None:
        """Offers only what the service accepts: the campaign's channels (all
        of the workspace's accounts while the campaign names none), and, to
        people who may edit the campaign, its other accounts under "Also add
        to this campaign" (a post's account that is no channel any more is
        there, ticked, so a save keeps it by adding it)."""
        channel_ids = campaign_channel_ids(post.campaign)
        current = [a.pk for a in post.accounts.all()]
        if "data" not in kwargs and not args:
            kwargs["initial"] = _initial(post, channel_ids, current)
        super().__init__(*args, **kwargs)
        choice_field(self, "pillar").queryset = Pillar.objects.filter(
            campaign=post.campaign
        )
        # Blog tags and categories only where a blog can receive them (or the
        # post already has some): elsewhere they would be noise.
        if (
            post.tags is None
            and post.categories is None
            and not ChannelAccount.objects.filter(
                workspace_id=post.workspace_id, network=Network.WORDPRESS
            ).exists()
        ):
            del self.fields["tags"], self.fields["categories"]
        else:  # the defaults a blank field stands for, as the placeholder
            defaults = {
                "tags": hashtags(post.body),
                "categories": default_categories(post),
            }
            for name, names in defaults.items():
                self.fields[name].widget.attrs["placeholder"] = (
                    f"Default: {', '.join(names)}" if names else "None by default"
                )
        self._account_choices(post, channel_ids, may_add)

    def _account_choices(
        self, post: Post, channel_ids: set[int], may_add: bool
    ) -> None:
        # Only the workspace's accounts are choices, so a foreign id is a form
        # error ("not one of the available choices"), never a lookup.
        workspace_accounts = ChannelAccount.objects.filter(
            workspace_id=post.workspace_id
        ).order_by("network", "name", "pk")
        if channel_ids:
            choice_field(self, "accounts").queryset = workspace_accounts.filter(
                pk__in=channel_ids
            )
            others = workspace_accounts.exclude(pk__in=channel_ids)
        else:
            choice_field(self, "accounts").queryset = workspace_accounts
            others = workspace_accounts.none()
        if may_add and others.exists():
            choice_field(self, "add_to_campaign").queryset = others
        else:
            del self.fields["add_to_campaign"]


class NewPostForm(LocalTimeMixin):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none())
    topic = forms.CharField(max_length=300)
    angle = forms.CharField(max_length=300, required=False)
    field_order = ["campaign", "topic", "angle", "date", "time"]

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaigns = Campaign.objects.filter(workspace=workspace)
        choice_field(self, "campaign").queryset = self.campaigns


class MoveForm(forms.Form):
    """The drop target of a drag: a local day, and an hour in the week view."""

    date = forms.DateField()
    hour = forms.IntegerField(required=False, min_value=0, max_value=23)


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000)
