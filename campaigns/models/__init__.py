"""The campaigns app's models, one module per aggregate: `campaign` (brands,
campaigns, their channels and pillars), `posts` (posts, comments, status
history) and `jobs`. The tenancy models (people, organizations, workspaces,
keys) share this app's label but live below it, in `workspaces.models`.

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

__all__ = [
    "JOB_FINISHED",
    "AIDisclosure",
    "BrandProfile",
    "Campaign",
    "CampaignChannel",
    "CampaignStatus",
    "Job",
    "JobStatus",
    "Objective",
    "Pillar",
    "Post",
    "PostComment",
    "PostOrigin",
    "PostStatus",
    "PostStatusChange",
]
