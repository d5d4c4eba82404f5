"""The editorial side of the campaigns app: brands, campaigns with their
channels and pillars, posts."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import (
    BrandProfile,
    Campaign,
    CampaignChannel,
    Objective,
    Pillar,
    Post,
    PostOrigin,
    PostStatus,
)
from connections.models import ChannelAccount
from tests.factories.channels import ChannelAccountFactory
from tests.factories.tenancy import WorkspaceFactory


class BrandProfileFactory(factory.django.DjangoModelFactory[BrandProfile]):
    class Meta:
        model = BrandProfile

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Brand {n}")
    voice = "Warm, direct, a little nerdy about the craft."
    tone = factory.LazyFunction(lambda: ["friendly", "expert"])
    languages = factory.LazyFunction(lambda: ["en"])


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    """A campaign; `cadences=[(account, per_week), ...]` and
    `pillars=[("name", weight), ...]` add its channels and themes.

    Without `cadences`, `CampaignFactory(channels=2)` makes that many Mastodon
    accounts at three posts a week; without `pillars` it gets none.
    """

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    brand = factory.SubFactory(
        BrandProfileFactory, workspace=factory.SelfAttribute("..workspace")
    )
    name = factory.Sequence(lambda n: f"Campaign {n}")
    objective = Objective.AWARENESS
    brief = "Launch our new single-origin espresso to home baristas."
    start_date = factory.LazyFunction(lambda: timezone.localdate())
    end_date = factory.LazyAttribute(lambda c: c.start_date + timedelta(days=27))
    time_zone = "Europe/Berlin"
    min_gap_minutes = 180

    @factory.post_generation
    def cadences(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for account, per_week in extracted:
            CampaignChannel.objects.create(
                campaign=self, account=account, posts_per_week=per_week
            )

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for _ in range(int(extracted)):
            account = ChannelAccountFactory(workspace=self.workspace)
            CampaignChannel.objects.create(
                campaign=self, account=account, posts_per_week=3
            )

    @factory.post_generation
    def pillars(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for name, weight in extracted:
            Pillar.objects.create(campaign=self, name=name, weight=weight)


def cadence(campaign: Campaign, account: ChannelAccount, per_week: int = 3) -> None:
    """Add `account` to `campaign` at `per_week` posts a week."""
    CampaignChannel.objects.create(
        campaign=campaign, account=account, posts_per_week=per_week
    )


class PillarFactory(factory.django.DjangoModelFactory[Pillar]):
    class Meta:
        model = Pillar

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"Pillar {n}")
    weight = 1


class PostFactory(factory.django.DjangoModelFactory[Post]):
    """A draft post of a campaign; `accounts=[...]` sets its channel accounts.

    It is created with its first history row (`lifecycle.record_creation`) like
    every post made by a service. Other states: build it as a draft and move it
    with `lifecycle.transition`, or pass `status=` for a quick fixture (then the
    history says it was created in that state).
    """

    class Meta:
        model = Post
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    workspace = factory.SelfAttribute("campaign.workspace")
    topic = factory.Sequence(lambda n: f"Topic {n}")
    angle = "How it is made"
    status = PostStatus.DRAFT
    origin = PostOrigin.MANUAL
    scheduled_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    )

    @factory.post_generation
    def accounts(self, create, extracted, **kwargs):
        if create and extracted:
            self.accounts.set(extracted)

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create and extracted is not False:
            lifecycle.record_creation(self, by=self.created_by, system="factory")
