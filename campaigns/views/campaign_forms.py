"""Forms of the campaign, wizard and channel-account pages (the brand's are in
`brand_forms`, the CSV import's in `import_forms`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from django import forms

from campaigns.forms import choice_field
from campaigns.models import BrandProfile, Campaign, CampaignStatus, Objective
from campaigns.views.brand_forms import list_text
from connections.models import ChannelAccount
from workspaces.forms import time_zone_choices
from workspaces.models import Workspace


def _parse_kpis(text: str) -> dict[str, float | int]:
    """`clicks: 500` lines into {"clicks": 500}; a ValidationError per bad line."""
    targets: dict[str, float | int] = {}
    for raw in text.replace(",", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        try:
            number = float(value.strip()) if sep else None
        except ValueError:
            number = None
        if not name or number is None or number < 0:
            raise forms.ValidationError(
                f"'{line}' is not 'metric: number' (e.g. clicks: 500)."
            )
        targets[name] = int(number) if number.is_integer() else number
    return targets


def kpi_text(targets: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in targets.items())


def _parse_dates(text: str) -> list[date]:
    days: list[date] = []
    for raw in text.replace(",", "\n").split():
        try:
            days.append(date.fromisoformat(raw.strip()))
        except ValueError:
            raise forms.ValidationError(
                f"'{raw}' is not a date like 2025-12-24."
            ) from None
    return sorted(set(days))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class WizardBrandForm(forms.Form):
    """Step 1: an existing brand, or the name of a new one to create now."""

    brand = forms.ModelChoiceField(
        queryset=BrandProfile.objects.none(),
        required=False,
        empty_label="— Choose a brand —",
    )
    new_brand = forms.CharField(
        label="Or create a new brand",
        max_length=200,
        required=False,
        help_text="Only the name now; fill in voice and colours later.",
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "brand").queryset = BrandProfile.objects.filter(
            workspace=workspace
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["new_brand"] = (data.get("new_brand") or "").strip()
        if not data.get("brand") and not data["new_brand"]:
            raise forms.ValidationError("Choose a brand or name a new one.")
        if data.get("brand") and data["new_brand"]:
            raise forms.ValidationError("Choose a brand or name a new one, not both.")
        return data


class WizardBriefForm(forms.Form):
    """Step 2: what the campaign is for."""

    name = forms.CharField(label="Campaign name", max_length=200)
    objective = forms.ChoiceField(choices=Objective.choices)
    brief = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What to say, to whom, and why now. The planner derives topics "
        "from it.",
    )
    kpi_targets = forms.CharField(
        label="KPI targets",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "clicks: 500"}),
        help_text="Optional; one 'metric: number' per line.",
    )

    def clean_kpi_targets(self) -> dict[str, float | int]:
        return _parse_kpis(self.cleaned_data.get("kpi_targets") or "")


class WizardDatesForm(forms.Form):
    """Step 3: when, in which time zone, and the days without posts."""

    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput())
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Posts are planned at local times of this zone.",
    )
    blackout_dates = forms.CharField(
        label="Blackout dates",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2025-12-24"}),
        help_text="Days without posts, one per line (YYYY-MM-DD).",
    )

    def clean_blackout_dates(self) -> list[date]:
        return _parse_dates(self.cleaned_data.get("blackout_dates") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end:
            if end < start:
                self.add_error("end_date", "The campaign ends before it starts.")
            outside = [
                d for d in data.get("blackout_dates") or [] if not start <= d <= end
            ]
            if outside:
                self.add_error(
                    "blackout_dates",
                    f"{outside[0].isoformat()} is outside the campaign's dates.",
                )
        return data


class ChannelsForm(forms.Form):
    """Step 4: which channel accounts, and how many posts a week on each.

    One checkbox (`account_<id>`) and one number (`per_week_<id>`) per account
    of the workspace; `rows` pairs them for the template.
    """

    def __init__(
        self, *args: Any, accounts: list[ChannelAccount], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = accounts
        for account in accounts:
            self.fields[f"account_{account.pk}"] = forms.BooleanField(
                label=str(account), required=False
            )
            self.fields[f"per_week_{account.pk}"] = forms.IntegerField(
                label=f"Posts per week on {account}",
                min_value=1,
                max_value=70,
                initial=3,
                required=False,
            )

    @property
    def rows(self) -> list[tuple[ChannelAccount, Any, Any]]:
        return [
            (a, self[f"account_{a.pk}"], self[f"per_week_{a.pk}"])
            for a in self.accounts
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [a for a in self.accounts if data.get(f"account_{a.pk}")]
        for account in chosen:
            if not data.get(f"per_week_{account.pk}") and not self.has_error(
                f"per_week_{account.pk}"
            ):
                self.add_error(f"per_week_{account.pk}", "Give posts per week.")
        if not chosen:
            raise forms.ValidationError("Choose at least one channel account.")
        return data

    def cadences(self) -> list[tuple[ChannelAccount, int]]:
        return [
            (a, self.cleaned_data[f"per_week_{a.pk}"])
            for a in self.accounts
            if self.cleaned_data.get(f"account_{a.pk}")
        ]

    @staticmethod
    def initial_for(cadences: list[tuple[int, int]]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for account_id, per_week in cadences:
            initial[f"account_{account_id}"] = True
            initial[f"per_week_{account_id}"] = per_week
        return initial


class PillarForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    weight = forms.IntegerField(min_value=1, max_value=100, initial=1, required=False)
    description = forms.CharField(max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("description") or data.get("weight") not in (None, 1)) and not (
            data.get("name") or ""
        ).strip():
            self.add_error("name", "Give the pillar a name.")
        return data


if TYPE_CHECKING:
    _PillarFormSetBase = forms.BaseFormSet[PillarForm]
else:  # BaseFormSet is generic in django-stubs only, not subscriptable at runtime.
    _PillarFormSetBase = forms.BaseFormSet


class BasePillarFormSet(_PillarFormSetBase):
    """Content pillars; empty rows are ignored, at least one is needed."""

    def clean(self) -> None:
        if any(self.errors):
            return
        names: set[str] = set()
        for form in self.forms:
            name = (form.cleaned_data.get("name") or "").strip()
            if not name:
                continue
            if name.casefold() in names:
                form.add_error("name", f"'{name}' is listed twice.")
            names.add(name.casefold())
        if not names:
            raise forms.ValidationError("Add at least one content pillar.")

    def pillars(self) -> list[tuple[str, int, str]]:
        return [
            (
                f.cleaned_data["name"].strip(),
                f.cleaned_data.get("weight") or 1,
                f.cleaned_data.get("description") or "",
            )
            for f in self.forms
            if (f.cleaned_data.get("name") or "").strip()
        ]


PILLAR_ROWS = 6
# django-stubs types the factory's result as a plain BaseFormSet; it is a
# subclass of `formset`, so it has `pillars()`.
PillarFormSet = cast(
    "type[BasePillarFormSet]",
    forms.formset_factory(
        PillarForm,
        formset=BasePillarFormSet,
        extra=PILLAR_ROWS,
        max_num=PILLAR_ROWS,
        absolute_max=PILLAR_ROWS,
    ),
)


class CampaignForm(WizardBriefForm, WizardDatesForm):
    """Editing a campaign: the brief and dates of the wizard, plus brand and UTM."""

    brand = forms.ModelChoiceField(queryset=BrandProfile.objects.none())
    utm_campaign = forms.SlugField(
        label="UTM campaign",
        max_length=100,
        required=False,
        help_text="Added to links as utm_campaign; defaults to the name.",
    )
    min_gap_minutes = forms.IntegerField(
        label="Least minutes between two posts on one account",
        min_value=0,
        max_value=7 * 24 * 60,
    )

    field_order = [
        "name",
        "brand",
        "objective",
        "brief",
        "kpi_targets",
        "start_date",
        "end_date",
        "time_zone",
        "blackout_dates",
        "min_gap_minutes",
        "utm_campaign",
    ]

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "brand").queryset = BrandProfile.objects.filter(
            workspace=workspace
        )

    @staticmethod
    def initial_for(campaign: Campaign) -> dict[str, Any]:
        return {
            "name": campaign.name,
            "brand": campaign.brand_id,
            "objective": campaign.objective,
            "brief": campaign.brief,
            "kpi_targets": kpi_text(campaign.kpi_targets),
            "start_date": campaign.start_date,
            "end_date": campaign.end_date,
            "time_zone": campaign.time_zone,
            "blackout_dates": list_text(campaign.blackout_dates),
            "min_gap_minutes": campaign.min_gap_minutes,
            "utm_campaign": campaign.utm_campaign,
        }


class CampaignStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CampaignStatus.choices)
