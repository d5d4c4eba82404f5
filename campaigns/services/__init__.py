"""Every write and business rule of the campaigns app, one module per area.

`brands`, `campaigns`, `posts`, `plans`, `jobs` and `imports`; the post
lifecycle itself is `campaigns.lifecycle`, and tenancy's (organizations,
workspaces, members, invitations, API keys, personal tokens) is
`workspaces.services`. Callers import the area's module:
`from campaigns.services import posts`, or `from campaigns import services`
and `services.posts`.
"""

from campaigns.services import brands, campaigns, jobs, plans, posts

__all__ = [
    "brands",
    "campaigns",
    "jobs",
    "plans",
    "posts",
]
