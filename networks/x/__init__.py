"""X: posts through API v2 (https://docs.x.com/x-api/posts/create-post).

Credentials (`account.credentials`, written by `connections.oauth`): `access_token`
(an OAuth 2.0 user token with `tweet.read tweet.write users.read media.write`;
`refresh_token` is used by the refresh job, not here). `account.external_id` is
the user id from `GET /2/users/me`, `account.handle` "@username".

- Posting: `POST /2/tweets` with `text`, `media.media_ids` on the first part,
  and each later part of a thread as a reply to the one before
  (`reply.in_reply_to_tweet_id`). The post's link is added to the text when the
  copy does not carry it. X has no idempotency key (`dedupes=False`).
- Images: `POST /2/media/upload` (the simple upload: the file base64 in a JSON
  body with `media_category=tweet_image`), images of at most 5 MB, at most 4;
  alt text through `POST /2/media/metadata`.
- Length: 280 weighted characters as twitter-text counts them (every URL 23,
  emoji and CJK 2): `networks.textrules.measure("x", ...)`.
- Errors: 401 → the account must be reconnected (unless its token merely
  expired: the refresh job handles that); 403 "duplicate content" → X already
  has this text: if it is our own earlier try (found by `lookup`) that post is
  the result, otherwise a permanent failure; other 403/400 → permanent with X's
  reason; 429 → transient until `x-rate-limit-reset` (epoch seconds); 5xx →
  transient; no answer after sending → ambiguous.
- `lookup`: the user's recent posts (`GET /2/users/:id/tweets`, since shortly
  before the due time) matched on a fingerprint of the text (URLs ignored: X
  shortens them). A thread found half-posted is completed from where it stops,
  so a retry never posts a part twice.

The package: `api` (address, reasons, errors), `media` (image checks and
uploads), `lookup` (recent posts), `connector` (the protocol).
"""
