"""Mastodon: statuses on the account's own instance, through its REST API
(https://docs.joinmastodon.org/methods/statuses/).

Credentials (`account.credentials`, written by `connections.oauth` when the
account connects): `instance_url` (`https://host[:port]`) and `access_token`
(scopes `read:accounts write:statuses write:media`). `account.external_id` is
the Mastodon account id (from `verify_credentials`), used by `lookup`.

- Posting: `POST /api/v1/statuses` with an `Idempotency-Key` header. Mastodon
  keeps the key for an hour and answers a repeat with the status it already
  made, so a retry after a timeout or a dead worker cannot post twice
  (`dedupes=True`). The parts of a thread are replies to the part before
  (`in_reply_to_id`), each with its own key derived from the publication's.
- Images: `POST /api/v2/media` (alt text as `description`). A 202 means the
  instance is still processing: `GET /api/v1/media/:id` is polled until it
  answers 200, and only then is the id attached (an unprocessed id is refused).
- Limits: the instance's own, from `GET /api/v2/instance`
  (`configuration.statuses.max_characters`, `max_media_attachments`,
  `characters_reserved_per_url`), cached per instance for a few minutes. Length
  is counted as Mastodon's StatusLengthValidator does: grapheme clusters, each
  URL with a scheme as `characters_reserved_per_url`, `@user@domain` as `@user`.
- Errors: 401 (token invalid or revoked) → permanent and the account must be
  reconnected; 403/404/422 and other 4xx → permanent with Mastodon's reason;
  429 → transient after `X-RateLimit-Reset`; 5xx → transient; no answer after
  sending → ambiguous.
- `lookup`: the account's recent statuses, matched on the text (HTML stripped,
  whitespace folded) and created no earlier than shortly before the due time.

The package: `client` (the transport, its errors and the instance's limits),
`connector` (the protocol).
"""
