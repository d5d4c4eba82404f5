"""REST API v1 of AI copy: generating variants for a post, following the jobs,
and editing, choosing or deleting the variants (routes in `config.api_urls`).

`serializers.py` holds the input and output shapes, `generations.py` the
generate action, the jobs and the monthly spend, `variants.py` the variants.
Every queryset is scoped to the caller's workspaces (another tenant's object is
a 404); every write goes through `content.services`, which checks the roles.
"""
