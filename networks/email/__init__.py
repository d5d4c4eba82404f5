"""Email newsletter: one message per confirmed subscriber over the account's SMTP.

Credentials (the account's encrypted `credentials` JSON):
- `host`, `port` (default 587), `security`: "starttls" (default), "ssl" (SMTPS,
  usually port 465) or "none" (only for a relay on a trusted network);
- `username`, `password`: SMTP AUTH (both empty: no AUTH);
- `from_email` and `from_name` (or one `from_address`: "Beans Weekly
  <news@beans.example>"), `reply_to` (optional);
- `rate_per_second`: the most messages per second this account may send
  (default 5; providers throttle or block bulk senders that go faster).

Each subscriber gets their own message (their own unsubscribe link), with a
`Message-ID` made from the publication's idempotency key and the subscriber id,
and a ledger row (`EmailDelivery`, through the request's `ConnectorStore`) the
moment the server accepted it. A retried publication skips everyone with a row,
so a 4xx halfway through, a dropped connection or a dead worker never mails
anyone twice (the one message in flight when a connection broke is the only
one that can repeat, and its Message-ID is the same, which lets receiving
servers drop it). Hence `dedupes=True`.

Every message is multipart/alternative (plain text and HTML) and carries
`List-Unsubscribe` (the one-click URL and a mailto:) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). Only
`confirmed` subscribers receive anything (double opt-in: publishing/newsletter.py).

Errors: a refused login is permanent and asks to reconnect; a 4xx reply, a
refused or dropped connection is transient; a 5xx for one recipient marks that
subscriber bounced and goes on; any other 5xx is permanent.

The package: `smtp` (settings, connection, errors), `message` (one
subscriber's message), `connector` (the protocol).
"""
