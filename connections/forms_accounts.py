"""The Channels page's "add for planning" form: an account without credentials
that campaigns can plan posts for before anything is connected."""

from __future__ import annotations

from django import forms

from connections.models import Network


class ChannelAccountForm(forms.Form):
    name = forms.CharField(label="Display name", max_length=200)
    network = forms.ChoiceField(choices=Network.choices)
    handle = forms.CharField(
        max_length=255, required=False, help_text="e.g. @roastery@mastodon.social"
    )
