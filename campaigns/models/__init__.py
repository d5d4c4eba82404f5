"""The campaigns app's models, one module per aggregate: `tenancy` (people,
organizations, workspaces, memberships, invitations, API keys, policy
changes), `campaign` (brands, campaigns, their channels and pillars), `posts`
(posts, comments, status history) and `jobs`. Personal access tokens live in
`campaigns.token_models`.

Every model is imported here, so Django registers it with the app and
`from campaigns.models import X` works for any of them.
"""

from campaigns.models.campaign import (
    AIDisclosure,
    BrandProfile,
    Campaign,
    CampaignChannel,
    CampaignStatus,
    Objective,
    Pillar,
)
from campaigns.models.jobs import JOB_FINISHED, Job, JobStatus
from campaigns.models.posts import (
    Post,
    PostComment,
    PostOrigin,
    PostStatus,
    PostStatusChange,
)
from campaigns.models.tenancy import (
    ApiKey,
    ApiKeyScope,
    EmailUserManager,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
    WorkspaceSettingChange,
)
from campaigns.token_models import PersonalAccessToken

__all__ = [
    "JOB_FINISHED",
    "AIDisclosure",
    "ApiKey",
    "ApiKeyScope",
    "BrandProfile",
    "Campaign",
    "CampaignChannel",
    "CampaignStatus",
    "EmailUserManager",
    "Invitation",
    "Job",
    "JobStatus",
    "Membership",
    "Objective",
    "Organization",
    "PersonalAccessToken",
    "Pillar",
    "Post",
    "PostComment",
    "PostOrigin",
    "PostStatus",
    "PostStatusChange",
    "Role",
    "User",
    "Workspace",
    "WorkspaceSettingChange",
]
