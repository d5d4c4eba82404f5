"""Bluesky: posts as `app.bsky.feed.post` records in the account's repository,
written over AT Protocol XRPC (https://docs.bsky.app/docs/advanced-guides/posts).

Credentials (`account.credentials`, set by `connections.accounts.account_connect`):
`handle` (e.g. `roastery.bsky.social`), `app_password` (an app password, never
the account password), `service` (the PDS or entryway URL; default
https://bsky.social). The connector adds `session`: `did`, `handle`,
`accessJwt`, `refreshJwt` and `pds` (where the repository lives), kept in the
same encrypted field so sessions are reused instead of signing in for every
post (`createSession` allows 30 sign-ins per 5 minutes and 300 a day).

- Sessions: the stored access token while it is valid; else
  `com.atproto.server.refreshSession`; a refresh token that expired or was
  revoked → `createSession` again. A refused app password → permanent, and the
  account must be reconnected. The session is written back through the
  caller's `ConnectorStore` (the database's: under a row lock, and only while
  the stored app password is still the one used; a reconnect meanwhile wins).
- Idempotency: each record is created with a record key (`rkey`) derived from
  the publication's idempotency key (a valid TID, see `rkey_for`), so a retry of
  the same publication addresses the same record: the PDS refuses to create it
  twice, and the connector then reads the existing record
  (`com.atproto.repo.getRecord`) and answers with it (`dedupes=True`). The
  PDS's refusal is a 500 or an "already exists"/InvalidSwap error depending on
  the version; either way the record is read back before anything is decided.
- Text: at most 300 grapheme clusters and 3,000 UTF-8 bytes (the lexicon's
  limits, which the PDS enforces). Links, mentions and hashtags become facets
  with UTF-8 byte offsets; mentions are resolved to DIDs with
  `com.atproto.identity.resolveHandle` (an unresolvable handle stays plain text).
- Images: `com.atproto.repo.uploadBlob`, at most 4 per post and 1,000,000 bytes
  each (the `app.bsky.embed.images` lexicon), with alt text. Without images, a
  link gets a card (`app.bsky.embed.external`) titled with the post's title or
  the link's host (no page is fetched).
- Threads: the parts after the first are replies (`reply.root` and
  `reply.parent` strong references).
- Errors: 429 → transient after `RateLimit-Reset`; 5xx → transient; a refused
  record (400 InvalidRequest) → permanent with the PDS's reason; no answer after
  `createRecord` was sent → ambiguous (a retry re-sends the same rkey).

The package, layer on layer: `xrpc` (the transport and its errors),
`sessions` (signing in and renewing), `text` (record keys and facets),
`connector` (the protocol).
"""
