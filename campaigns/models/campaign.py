"""The campaign aggregate: the brand it speaks for, the campaign itself, its
channels with their cadence, and its content pillars."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from workspaces.models import Workspace


class AIDisclosure(models.TextChoices):
    """Whether copy and images a model made are labelled as such when published."""

    NEVER = "never", "Never label"
    ALWAYS = "always", "Always label"
    PER_CHANNEL = "per_channel", "Label on the chosen networks"


class BrandProfile(models.Model):
    """How a brand sounds and looks; the copy and image generators read it.

    Lists (tone, languages, words, hashtags, colours) are JSON arrays of strings:
    they are read whole, never queried by element.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="brands"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    voice = models.TextField(
        blank=True, help_text="How the brand speaks, in a few sentences."
    )
    tone = models.JSONField(
        default=list, blank=True, help_text="e.g. friendly, expert, playful"
    )
    audience = models.TextField(blank=True)
    languages = models.JSONField(
        default=list, blank=True, help_text="BCP 47 codes: en, de-CH"
    )
    do_words = models.JSONField(default=list, blank=True)
    dont_words = models.JSONField(default=list, blank=True)
    required_hashtags = models.JSONField(default=list, blank=True)
    required_mentions = models.JSONField(default=list, blank=True)
    default_cta = models.CharField("default call to action", max_length=200, blank=True)
    colours = models.JSONField(default=list, blank=True, help_text="#rrggbb values")
    logo = models.ForeignKey(
        "content.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ai_disclosure = models.CharField(
        max_length=20, choices=AIDisclosure.choices, default=AIDisclosure.PER_CHANNEL
    )
    ai_disclosure_networks = models.JSONField(
        default=list,
        blank=True,
        help_text="Networks that label AI content (per_channel).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="brand_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(ai_disclosure__in=AIDisclosure.values),
                name="brand_ai_disclosure_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    ENGAGEMENT = "engagement", "Engagement"
    TRAFFIC = "traffic", "Traffic"
    CONVERSIONS = "conversions", "Conversions"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"


class Campaign(models.Model):
    """A brief with dates, channels, cadence and pillars; the planner adds posts."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="campaigns"
    )
    brand = models.ForeignKey(
        BrandProfile, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    objective = models.CharField(
        max_length=20, choices=Objective.choices, default=Objective.AWARENESS
    )
    brief = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    time_zone = models.CharField(
        max_length=64, help_text="IANA name, e.g. Europe/Berlin"
    )
    # The account model is another app's (named by string only): hence Any.
    channels: models.ManyToManyField[Any, CampaignChannel] = models.ManyToManyField(
        "channels.ChannelAccount", through="CampaignChannel", related_name="campaigns"
    )
    blackout_dates = models.JSONField(default=list, blank=True, help_text="ISO dates")
    kpi_targets = models.JSONField(
        default=dict,
        blank=True,
        help_text='e.g. {"clicks": 500, "engagement_rate": 0.04}',
    )
    min_gap_minutes = models.PositiveIntegerField(
        default=180,
        help_text="Least time between two posts of this campaign on one account.",
    )
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    utm_campaign = models.SlugField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="campaign_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CampaignStatus.values),
                name="campaign_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(objective__in=Objective.values),
                name="campaign_objective_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignChannel(models.Model):
    """A channel account of a campaign and how often the campaign posts there."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="cadences"
    )
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.CASCADE, related_name="+"
    )
    posts_per_week = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["account__network", "account__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "account"], name="campaign_channel_unique"
            ),
            models.CheckConstraint(
                condition=Q(posts_per_week__gte=1) & Q(posts_per_week__lte=70),
                name="campaign_channel_cadence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} x{self.posts_per_week}/week"


class Pillar(models.Model):
    """A content theme of a campaign; weights set the share of posts it gets."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="pillars"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-weight", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"], name="pillar_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1), name="pillar_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name
