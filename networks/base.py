"""The connector protocol: what every network module in this package provides.

A connector turns one `PublishRequest` into one post on its network and says
how it went: a `PublishResult` (the network's id and URL), or a
`ConnectorError` whose `kind` tells the publish task what to do next:

- "permanent": the network refused and will refuse again (content rejected,
  credentials revoked, a bad URL). The publication fails with `message`, which
  is written for a marketer, not a developer.
- "transient": try again later (429, 5xx, connection refused before anything
  was sent); `retry_after` is the network's own wait in seconds when it gave one.
- "ambiguous": the request may have reached the network but no answer came
  back (a read timeout). Never re-posted blindly: re-sent with the same
  idempotency key only where `Capabilities.dedupes`, looked up where the
  connector implements `lookup`, otherwise left `unconfirmed` for a person.

Connectors never touch the ORM: what one must keep between calls (a Bluesky
session, an Instagram container id, the newsletter's per-subscriber ledger)
goes through the `ConnectorStore` its caller hands it (`PublishRequest.store`,
`check(..., store=...)`); the database implementation lives outside this
package (`connections.connector_store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

ErrorKind = Literal["permanent", "transient", "ambiguous"]


@dataclass(frozen=True)
class Capabilities:
    """What a network accepts; the editor and the copy generator read it too."""

    text_limit: int | None = None
    max_images: int = 0
    max_image_bytes: int | None = None
    threads: bool = False
    first_comment: bool = False
    link_cards: bool = False
    # A retry with the same idempotency key cannot create a second post.
    dedupes: bool = False
    # The connector implements `lookup(request)` to find a post it may have made.
    lookup: bool = False
    # The post's blog tags and categories go out (`PublishRequest.extra`).
    terms: bool = False


@dataclass(frozen=True)
class MediaItem:
    """One image to attach: a rendition already cut to the network's limits.

    `path` is a local file (the media storage), read only when the connector
    uploads it, so building a request never loads image bytes.
    """

    path: str
    content_type: str
    alt_text: str = ""
    width: int = 0
    height: int = 0

    def read(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()


# --- what a connector keeps between calls --------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One confirmed newsletter subscriber, as the email connector mails them."""

    id: int
    email: str
    unsubscribe_token: str


class ConnectorStore(Protocol):
    """Everything a connector persists, and nothing more. The publishing
    service, "Test connection" and the newsletter hand one in; ids are the
    rows' primary keys."""

    def save_session(
        self, account_id: int, session: dict[str, str], *, app_password: str
    ) -> None:
        """Keep a network session in the account's credentials, unless the
        account was reconnected with another `app_password` meanwhile."""
        ...

    def remember_external_id(self, publication_id: int, external_id: str) -> None:
        """Note a provisional external id (a container made before publishing)
        on the publication while it is being published."""
        ...

    def remembered_external_id(self, publication_id: int) -> str:
        """The publication's external id as stored ("" when none)."""
        ...

    def newsletter_audience(
        self, publication_id: int, account_id: int
    ) -> tuple[int, list[Recipient]]:
        """(how many subscribers this publication already reached, the
        confirmed subscribers it has not reached yet, oldest first)."""
        ...

    def newsletter_delivered(
        self, publication_id: int, recipient_id: int, message_id: str
    ) -> None:
        """Record that the SMTP server accepted the message for a subscriber."""
        ...

    def newsletter_bounced(self, recipient_id: int) -> None:
        """The subscriber's address does not exist (any more): stop mailing it."""
        ...


class MemoryStore:
    """A `ConnectorStore` in memory: what a connector keeps lasts as long as
    this object (the default where no caller handed a store in, and the
    tests' store). `subscribers` is the newsletter audience to mail."""

    def __init__(self, subscribers: list[Recipient] | None = None) -> None:
        self.sessions: dict[int, dict[str, str]] = {}
        self.external_ids: dict[int, str] = {}
        self.subscribers: list[Recipient] = list(subscribers or [])
        self.deliveries: dict[int, dict[int, str]] = {}
        self.bounced: set[int] = set()

    def save_session(
        self, account_id: int, session: dict[str, str], *, app_password: str
    ) -> None:
        self.sessions[account_id] = dict(session)

    def remember_external_id(self, publication_id: int, external_id: str) -> None:
        self.external_ids[publication_id] = external_id

    def remembered_external_id(self, publication_id: int) -> str:
        return self.external_ids.get(publication_id, "")

    def newsletter_audience(
        self, publication_id: int, account_id: int
    ) -> tuple[int, list[Recipient]]:
        sent = self.deliveries.get(publication_id, {})
        pending = [
            r
            for r in sorted(self.subscribers, key=lambda r: r.id)
            if r.id not in sent and r.id not in self.bounced
        ]
        return len(sent), pending

    def newsletter_delivered(
        self, publication_id: int, recipient_id: int, message_id: str
    ) -> None:
        self.deliveries.setdefault(publication_id, {}).setdefault(
            recipient_id, message_id
        )

    def newsletter_bounced(self, recipient_id: int) -> None:
        self.bounced.add(recipient_id)


# --- the request and its answer ------------------------------------------------


@dataclass(frozen=True)
class PublishRequest:
    """Everything a connector needs for one publication, read before the call.

    `text` is the first (or only) part; `thread` holds the parts after it for
    networks with `Capabilities.threads` (posted as a reply chain). `title` is
    the subject of an email or the title of a blog post. `store` is where the
    connector keeps what outlives the call (the publishing service hands the
    database's; by default a fresh `MemoryStore`, which keeps nothing after).
    """

    publication_id: int
    post_id: int
    account: Any  # publishing.models.ChannelAccount
    text: str
    link: str
    scheduled_at: datetime | None
    idempotency_key: str
    extra: dict[str, Any] = field(default_factory=dict)
    media: tuple[MediaItem, ...] = ()
    thread: tuple[str, ...] = ()
    title: str = ""
    store: ConnectorStore = field(default_factory=MemoryStore, compare=False)


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str = ""
    http_status: int | None = None


class ConnectorError(Exception):
    """The one error a connector raises; see the module docstring for `kind`."""

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        retry_after: float | None = None,
        http_status: int | None = None,
        detail: str = "",
        reconnect: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind: ErrorKind = kind
        self.retry_after = retry_after
        self.http_status = http_status
        # For the attempt row and the logs (already redacted): what the network said.
        self.detail = detail
        # The network said definitely that the credentials are revoked or invalid
        # (not merely expired, not a 5xx): the account needs reconnecting.
        self.reconnect = reconnect

    def __repr__(self) -> str:
        return f"ConnectorError({self.kind}, {self.message!r}, {self.http_status})"


def credentials_of(account: Any) -> dict[str, Any]:
    """The account's stored credentials (`ChannelAccount.credentials`, decrypted
    JSON) as a dict: {} when there are none or they are not an object, so a
    connector reads every field with `.get` and names what is missing."""
    credentials = getattr(account, "credentials", None) or {}
    return credentials if isinstance(credentials, dict) else {}


@runtime_checkable
class Connector(Protocol):
    """One class per network. `key` is the registry key (a `Network` value)."""

    key: str
    capabilities: Capabilities

    def validate(self, request: PublishRequest) -> list[str]:
        """Problems that would make the network refuse `request` (empty: fine)."""
        ...

    def publish(self, request: PublishRequest) -> PublishResult:
        """Post it, sending `request.idempotency_key`; raise `ConnectorError`."""
        ...


@dataclass(frozen=True)
class AccountCheck:
    """What "Test connection" found: who the credentials belong to."""

    external_id: str
    name: str = ""
    handle: str = ""
    avatar_url: str = ""
    detail: dict[str, Any] = field(default_factory=dict)  # e.g. an instance limit


@runtime_checkable
class SupportsCheck(Protocol):
    """A connector that can test its credentials ("Test connection"); callers
    narrow with `isinstance(connector, SupportsCheck)`."""

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        """Verify the account's credentials with one cheap read; raise
        `ConnectorError` ("permanent" for refused credentials) if they fail.
        `store` keeps what the check renews (a session); None: nothing kept."""
        ...


@runtime_checkable
class SupportsLookup(Protocol):
    """A connector with `Capabilities.lookup`: it can find a post an earlier,
    unanswered try may have made; callers narrow with `isinstance`."""

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post this request made, if the network has it; None if not."""
        ...
