"""Channel accounts (the channels app), planning-only or connected."""

from __future__ import annotations

import factory

from connections.models import ChannelAccount, Network
from tests.factories.tenancy import WorkspaceFactory


class ChannelAccountFactory(factory.django.DjangoModelFactory[ChannelAccount]):
    class Meta:
        model = ChannelAccount

    workspace = factory.SubFactory(WorkspaceFactory)
    network = Network.MASTODON
    name = factory.Sequence(lambda n: f"Account {n}")
    handle = factory.LazyAttribute(lambda a: f"@{a.name.lower().replace(' ', '')}")


class ConnectedAccountFactory(ChannelAccountFactory):
    """An account that can publish: it holds (test) credentials. Without any an
    account is planning only and never gets a publication."""

    credentials = factory.LazyFunction(
        lambda: {"secret": "test-secret", "token": "test-token"}
    )
