"""What a person types to connect a network, as data: its package's
`credentials.py` declares `CREDENTIALS`, a `CredentialForm`. The Channels
page's connect forms and the API's connect input are built from these
(`connections.forms`, `connections.api.connect`), so a new network adds no
field there.

Each `Field` says how it reads on the page (`label`, `help_text`) and in the
API schema (`api_help`), whether it is a secret (never rendered back, never
trimmed), required, and its checks (lengths, bounds, choices; `public_url`:
an address AdLoop will call, checked with `core.outbound_urls`). `build`
turns the checked values into (the credentials object stored encrypted, the
webhook URL or ""); a network without `build` (an OAuth network asking only
where its instance is) stores nothing from its form. `identity` says which
external id and handle the account shows for what was stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TEXT = "text"
SECRET = "secret"  # noqa: S105 (a kind of field, not a password)
URL = "url"
EMAIL = "email"
INTEGER = "integer"
CHOICE = "choice"


@dataclass(frozen=True)
class Field:
    key: str
    label: str = ""  # "" : the form derives one from the key
    kind: str = TEXT
    required: bool = True
    # The API takes it as optional where the form asks for it anyway (a select
    # with a default): None means the same as `required`.
    api_required: bool | None = None
    max_length: int | None = None
    min_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    initial: Any = None
    help_text: str = ""
    api_help: str = ""
    public_url: bool = False

    @property
    def required_in_api(self) -> bool:
        return self.required if self.api_required is None else self.api_required


Build = Callable[[Mapping[str, Any]], tuple[dict[str, Any], str]]
# (the stored credentials, the webhook URL or "") -> (external id, handle)
# shown for the account: never a secret.
Identity = Callable[[Mapping[str, Any], str], tuple[str, str]]


def no_identity(credentials: Mapping[str, Any], url: str) -> tuple[str, str]:
    return "", ""


@dataclass(frozen=True)
class CredentialForm:
    network: str
    fields: tuple[Field, ...]
    build: Build | None = None
    identity: Identity = no_identity

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required_in_api)


def secret(key: str, label: str = "", **kw: Any) -> Field:
    """A password-like field: at most 500 characters, kept as typed."""
    return Field(key, label, kind=SECRET, max_length=500, **kw)
