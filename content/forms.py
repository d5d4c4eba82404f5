"""Forms of the copy-generation UI: what a person may send, validated before any
service runs (bad input answers 400 with the form's errors, nothing saved)."""

from __future__ import annotations

from typing import Any

from django import forms

from connections.models import Network
from content.services.generation import MAX_COUNT


class GenerateForm(forms.Form):
    """One channel tab's request: `network` is that tab's, so generating there
    writes for that channel only."""

    network = forms.ChoiceField(
        choices=Network.choices,
        widget=forms.HiddenInput,
        error_messages={"required": "Generate from a channel's tab."},
    )
    count = forms.IntegerField(min_value=1, max_value=MAX_COUNT, initial=3)
    tone = forms.CharField(max_length=100, required=False)
    language = forms.CharField(max_length=20, required=False)


class VariantTextForm(forms.Form):
    text = forms.CharField(
        max_length=20_000, strip=True, widget=forms.Textarea(attrs={"rows": 5})
    )


PROVIDERS = [
    ("", "Server default"),
    ("offline", "Offline drafts (rules, no AI)"),
    ("openai", "OpenAI-compatible endpoint"),
]


class AISettingsForm(forms.Form):
    provider = forms.ChoiceField(choices=PROVIDERS, required=False)
    model = forms.CharField(
        max_length=200,
        required=False,
        help_text="Empty: the provider's default model.",
    )
    monthly_budget = forms.DecimalField(
        label="Monthly budget (USD)",
        min_value=0,
        max_digits=12,
        decimal_places=4,
        required=False,
        help_text="Empty: no limit. Requests that would pass it are refused.",
    )
    monthly_token_budget = forms.IntegerField(
        label="Monthly token budget",
        min_value=0,
        required=False,
        help_text="Tokens in + out per calendar month (UTC); empty: no limit.",
    )

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True
