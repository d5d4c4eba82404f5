"""REST resources of the channels app: `/api/v1/channels/` (with its deprecated
alias `/api/v1/channel-accounts/`) and `/api/v1/publications/` (registered in
`config.api_urls`)."""
