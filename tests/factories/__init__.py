"""factory_boy factories, one module per app (tenancy, channels, campaigns).

Every name is re-exported here, so `from tests.factories import X` keeps working.
"""

from tests.factories.campaigns import (
    BrandProfileFactory,
    CampaignFactory,
    PillarFactory,
    PostFactory,
    cadence,
)
from tests.factories.channels import ChannelAccountFactory, ConnectedAccountFactory
from tests.factories.tenancy import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    WorkspaceFactory,
    api_key,
    member,
)

__all__ = [
    "PASSWORD",
    "BrandProfileFactory",
    "CampaignFactory",
    "ChannelAccountFactory",
    "ConnectedAccountFactory",
    "MembershipFactory",
    "OrganizationFactory",
    "PillarFactory",
    "PostFactory",
    "UserFactory",
    "WorkspaceFactory",
    "api_key",
    "cadence",
    "member",
]
