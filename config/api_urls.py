"""REST API v1 routes: the project mounts each app's resources (each lives in
its app's `api` package); no app mounts another's.

The catch-all at the end answers unknown addresses in the API's error format
(not the UI's HTML 404).
"""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from campaigns.api.campaigns import CampaignViewSet
from campaigns.api.post_import import PostImportViewSet
from connections.api.accounts import ChannelAccountViewSet, ChannelViewSet
from content.api.assets import AssetViewSet, PostImagesViewSet
from content.api.generations import (
    GenerationViewSet,
    PostGenerateViewSet,
    WorkspaceAISpendViewSet,
)
from content.api.variants import VariantViewSet
from events.api.audit_events import AuditEventViewSet
from publishing.api.channel_subscribers import ChannelSubscriberViewSet
from publishing.api.publications import PublicationViewSet
from workflow.api.brands import BrandViewSet
from workflow.api.jobs import JobViewSet
from workflow.api.posts import PostViewSet
from workspaces.api.api_keys import ApiKeyViewSet
from workspaces.api.base import not_found
from workspaces.api.invitations import InvitationViewSet
from workspaces.api.members import MembershipViewSet
from workspaces.api.organizations import OrganizationViewSet
from workspaces.api.tokens import PersonalAccessTokenViewSet
from workspaces.api.workspaces import WorkspaceViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="api-organization")
router.register("workspaces", WorkspaceViewSet, basename="api-workspace")
router.register("members", MembershipViewSet, basename="api-member")
router.register("invitations", InvitationViewSet, basename="api-invitation")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register(
    "personal-access-tokens",
    PersonalAccessTokenViewSet,
    basename="api-personal-access-token",
)
router.register(
    "channel-accounts", ChannelAccountViewSet, basename="api-channel-account"
)
router.register("brands", BrandViewSet, basename="api-brand")
router.register("campaigns", CampaignViewSet, basename="api-campaign")
router.register("jobs", JobViewSet, basename="api-job")
# Before "posts": otherwise "import" would read as a post id.
router.register("posts/import", PostImportViewSet, basename="api-post-import")
router.register("posts", PostViewSet, basename="api-post")
# Copy generation (content.api): actions on posts and workspaces, and its own
# resources.
router.register("posts", PostGenerateViewSet, basename="api-post-generate")
router.register("workspaces", WorkspaceAISpendViewSet, basename="api-ai-spend")
router.register("generations", GenerationViewSet, basename="api-generation")
router.register("variants", VariantViewSet, basename="api-variant")
# Media library and image generation (content.api.assets).
router.register("assets", AssetViewSet, basename="api-asset")
router.register("posts", PostImagesViewSet, basename="api-post-images")
# Channel accounts (connections.api) and publications (publishing.api);
# "channel-accounts" above is the deprecated read-only alias of "channels".
router.register("channels", ChannelViewSet, basename="api-channel")
router.register("publications", PublicationViewSet, basename="api-publication")
router.register("audit-events", AuditEventViewSet, basename="api-audit-event")

# A newsletter channel's subscribers (publishing.api.channel_subscribers), on
# the channels resource. A router of its own: the same basename as "channels"
# above keeps the route names those actions have always had.
subscriber_router = SimpleRouter()
subscriber_router.register("channels", ChannelSubscriberViewSet, basename="api-channel")

urlpatterns = [
    *router.urls,
    *subscriber_router.urls,
    re_path(r"^(?P<path>.*)$", not_found),
]
