"""The brand profile's form, and the list fields the campaign forms share."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.models import AIDisclosure, BrandProfile
from connections.models import Network

# Lists (tone, words, hashtags, colours, dates) are typed as text, one entry per
# line or separated by commas; the services split, clean and validate them.


def list_text(values: list[str] | None) -> str:
    """A stored list back into the text a person typed (one entry per line)."""
    return "\n".join(values or [])


def _list_field(label: str, help_text: str, *, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class BrandForm(forms.Form):
    """Every field of a brand profile; only the name is required."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    voice = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the brand speaks, in a few sentences.",
    )
    tone = _list_field("Tone", "Attributes such as friendly, expert, playful.")
    audience = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who the posts are for.",
    )
    languages = _list_field("Languages", "Codes like en, de-CH.", rows=1)
    do_words = _list_field("Words to use", "One per line or separated by commas.")
    dont_words = _list_field("Words to avoid", "Never used in generated copy.")
    required_hashtags = _list_field("Required hashtags", "e.g. #coffee", rows=1)
    required_mentions = _list_field("Required mentions", "e.g. @roastery", rows=1)
    default_cta = forms.CharField(
        label="Default call to action", max_length=200, required=False
    )
    colours = _list_field("Colours", "Hex values like #1a2b3c.", rows=1)
    ai_disclosure = forms.ChoiceField(
        label="Label AI-generated copy and images",
        choices=AIDisclosure.choices,
        initial=AIDisclosure.PER_CHANNEL,
    )
    ai_disclosure_networks = forms.MultipleChoiceField(
        label="Networks that label AI content",
        choices=Network.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used when the policy is “Label on the chosen networks”.",
    )

    LIST_FIELDS = (
        "tone",
        "languages",
        "do_words",
        "dont_words",
        "required_hashtags",
        "required_mentions",
        "colours",
    )

    @classmethod
    def initial_for(cls, brand: BrandProfile) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(brand, name) for name in cls.base_fields
        }
        for name in cls.LIST_FIELDS:
            initial[name] = list_text(getattr(brand, name))
        return initial

    def service_data(self) -> dict[str, Any]:
        """What `brand_create`/`brand_update` take: list fields stay text."""
        return dict(self.cleaned_data)
