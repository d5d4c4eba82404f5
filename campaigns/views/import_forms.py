"""The CSV import page's upload forms."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.forms import choice_field
from campaigns.models import Campaign
from workspaces.models import Workspace


class PostImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8, comma-separated, with a header row."
    )

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
            ) from None


class PostImportCampaignForm(PostImportForm):
    """The upload plus the campaign of rows that name none (optional)."""

    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="— Each row names its campaign —",
        help_text="Rows without a campaign column go into this one.",
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "campaign").queryset = Campaign.objects.filter(
            workspace=workspace
        )
