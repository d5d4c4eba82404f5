"""Every write and business rule of the campaigns app, one module per area.

`tenancy` (organizations, workspaces, members), `invitations`, `api_keys`,
`brands`, `campaigns`, `posts`, `plans`, `jobs`, `imports`, `review` and
`personal_tokens`; the post lifecycle itself is `campaigns.lifecycle`.
Callers import from here: `from campaigns import services`.
"""

from campaigns.services import brands, campaigns, jobs, plans, posts
from core.errors import ConflictError
from workspaces.services.api_keys import (
    KEY_PREFIX,
    IssuedApiKey,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
)
from workspaces.services.invitations import (
    IssuedInvitation,
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_email_send,
    invitation_revoke,
)
from workspaces.services.tenancy import (
    membership_remove,
    membership_set,
    organization_create,
    workspace_create,
    workspace_update,
)

__all__ = [
    "KEY_PREFIX",
    "ConflictError",
    "IssuedApiKey",
    "IssuedInvitation",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "brands",
    "campaigns",
    "invitation_accept",
    "invitation_by_token",
    "invitation_create",
    "invitation_email_send",
    "invitation_revoke",
    "jobs",
    "membership_remove",
    "membership_set",
    "organization_create",
    "plans",
    "posts",
    "workspace_create",
    "workspace_update",
]
