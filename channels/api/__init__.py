"""REST resources of the channels app: `/api/v1/channels/` and
`/api/v1/publications/` (registered in `campaigns.api.urls`)."""
