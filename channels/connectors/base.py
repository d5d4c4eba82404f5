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


@dataclass(frozen=True)
class PublishRequest:
    """Everything a connector needs for one publication, read before the call.

    `text` is the first (or only) part; `thread` holds the parts after it for
    networks with `Capabilities.threads` (posted as a reply chain). `title` is
    the subject of an email or the title of a blog post.
    """

    publication_id: int
    post_id: int
    account: Any  # channels.models.ChannelAccount
    text: str
    link: str
    scheduled_at: datetime | None
    idempotency_key: str
    extra: dict[str, Any] = field(default_factory=dict)
    media: tuple[MediaItem, ...] = ()
    thread: tuple[str, ...] = ()
    title: str = ""


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

    def check(self, account: Any) -> AccountCheck:
        """Verify the account's credentials with one cheap read; raise
        `ConnectorError` ("permanent" for refused credentials) if they fail."""
        ...


@runtime_checkable
class SupportsLookup(Protocol):
    """A connector with `Capabilities.lookup`: it can find a post an earlier,
    unanswered try may have made; callers narrow with `isinstance`."""

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post this request made, if the network has it; None if not."""
        ...
