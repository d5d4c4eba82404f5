"""Bluesky: posts as `app.bsky.feed.post` records in the account's repository,
written over AT Protocol XRPC (https://docs.bsky.app/docs/advanced-guides/posts).

Credentials (`account.credentials`, set by `channels.accounts.account_connect`):
`handle` (e.g. `roastery.bsky.social`), `app_password` (an app password, never
the account password), `service` (the PDS or entryway URL; default
https://bsky.social). The connector adds `session`: `did`, `handle`,
`accessJwt`, `refreshJwt` and `pds` (where the repository lives), kept in the
same encrypted field so sessions are reused instead of signing in for every
post (`createSession` allows 30 sign-ins per 5 minutes and 300 a day).

- Sessions: the stored access token while it is valid; else
  `com.atproto.server.refreshSession`; a refresh token that expired or was
  revoked → `createSession` again. A refused app password → permanent, and the
  account must be reconnected. The session is written back under a row lock,
  and only while the stored app password is still the one used (a reconnect
  meanwhile wins).
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
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import regex

from channels import http, outbound_urls
from channels.connectors import apicall
from channels.connectors.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    MediaItem,
    PublishRequest,
    PublishResult,
    credentials_of,
)
from content.channel_rules import ANY_URL_RE, HASHTAG_RE, graphemes
from core.retry_after import retry_after_seconds

USER_AGENT = "AdLoop-Bluesky/1"
DEFAULT_SERVICE = "https://bsky.social"
POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
# An access token this close to its expiry is refreshed before use.
EXPIRY_MARGIN_SECONDS = 60
# Errors that mean "this token no longer works" (the PDS answers 400 or 401).
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired"})

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Deterministic TIDs carry a made-up time inside 2023 (never ahead of the real
# clock, where a later real TID of the account could collide with it).
_TID_EPOCH_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z
_TID_SPAN_US = 1 << 44  # about 203 days

# A handle: dot-separated DNS labels, the last one alphabetic (the atproto spec).
MENTION_RE = regex.compile(
    r"(?<![\w@./])@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)",
    regex.IGNORECASE,
)


def rkey_for(idempotency_key: str, part: int = 0) -> str:
    """The record key of one part of a publication: a TID (13 base32-sortable
    characters, the form `app.bsky.feed.post` requires) computed from the
    idempotency key, so every try of a publication names the same record."""
    seed = idempotency_key if part == 0 else f"{idempotency_key}#{part}"
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    micros = _TID_EPOCH_US + (digest >> 10) % _TID_SPAN_US
    value = (micros << 10) | (digest & 0x3FF)  # < 2**63: the top bit stays 0
    return "".join(_TID_ALPHABET[(value >> (60 - 5 * i)) & 31] for i in range(13))


def _byte_span(text: str, start: int, end: int) -> dict[str, int]:
    return {
        "byteStart": len(text[:start].encode()),
        "byteEnd": len(text[:end].encode()),
    }


@dataclass(frozen=True)
class Session:
    did: str
    handle: str
    access: str
    refresh: str
    pds: str

    def as_credentials(self) -> dict[str, str]:
        return {
            "did": self.did,
            "handle": self.handle,
            "accessJwt": self.access,
            "refreshJwt": self.refresh,
            "pds": self.pds,
        }


def _jwt_expiry(token: str) -> float | None:
    """The `exp` of a JWT (unverified: only to refresh before the PDS refuses)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(data["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def _retry_after(headers: Any) -> float | None:
    """`Retry-After`, else the PDS's `RateLimit-Reset` (Unix seconds)."""
    wait = retry_after_seconds(headers.get("retry-after"))
    if wait is None:
        wait = apicall.until_epoch(headers.get("ratelimit-reset"))
    return wait


def _error_of(answer: http.Response) -> tuple[str, str]:
    """XRPC's error body: (`error`, `message`)."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        return str(data.get("error") or ""), str(data.get("message") or "")[:300]
    return "", ""


class BlueskyConnector:
    key = "bluesky"
    capabilities = Capabilities(
        text_limit=MAX_GRAPHEMES,
        max_images=MAX_IMAGES,
        max_image_bytes=MAX_IMAGE_BYTES,
        threads=True,
        link_cards=True,
        dedupes=True,
        lookup=True,
    )

    # --- transport ----------------------------------------------------------------

    def _xrpc(
        self,
        method: str,
        base: str,
        nsid: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "",
        token: str = "",
        secrets: tuple[str, ...] = (),
        posting: bool = False,
    ) -> http.Response:
        url = f"{base.rstrip('/')}/xrpc/{nsid}"
        if params:
            url += "?" + urlencode(params)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        content = raw
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        elif content_type:
            headers["Content-Type"] = content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return apicall.call(
            method,
            url,
            network="Bluesky",
            content=content,
            headers=headers,
            secrets_=(token, *secrets),
            creates_post=posting,
            refused=outbound_urls.refused("The Bluesky server address"),
        )

    def _error(self, answer: http.Response, doing: str) -> ConnectorError:
        status = answer.status
        code, message = _error_of(answer)
        detail = answer.body[:500].decode(errors="replace")
        said = message or code
        if status == 429:
            return ConnectorError(
                "Bluesky's rate limit was reached; trying again after it resets.",
                kind="transient",
                retry_after=_retry_after(answer.headers),
                http_status=status,
                detail=detail,
            )
        if status >= 500 or status in (408, 425):
            return ConnectorError(
                f"Bluesky is temporarily unavailable (HTTP {status}); trying again.",
                kind="transient",
                retry_after=_retry_after(answer.headers),
                http_status=status,
                detail=detail,
            )
        if status == 413 or code == "BlobTooLarge":
            return ConnectorError(
                "Bluesky refused the image: it is larger than allowed.",
                kind="permanent",
                http_status=status,
                detail=detail,
            )
        return ConnectorError(
            f"Bluesky refused to {doing}" + (f": {said}." if said else "."),
            kind="permanent",
            http_status=status,
            detail=detail,
        )

    # --- sessions -------------------------------------------------------------------

    def _service(self, account: Any) -> str:
        service = str(credentials_of(account).get("service") or DEFAULT_SERVICE)
        return service.rstrip("/")

    def _secrets(self, account: Any) -> tuple[str, ...]:
        credentials = credentials_of(account)
        session = credentials.get("session") or {}
        return tuple(
            str(value)
            for value in (
                credentials.get("app_password"),
                session.get("accessJwt"),
                session.get("refreshJwt"),
            )
            if value
        )

    def _stored(self, account: Any) -> Session | None:
        data = credentials_of(account).get("session")
        if not isinstance(data, dict) or not data.get("accessJwt"):
            return None
        return Session(
            did=str(data.get("did") or ""),
            handle=str(data.get("handle") or ""),
            access=str(data["accessJwt"]),
            refresh=str(data.get("refreshJwt") or ""),
            pds=str(data.get("pds") or self._service(account)),
        )

    def _from_answer(self, account: Any, data: dict[str, Any]) -> Session:
        pds = self._service(account)
        for service in (data.get("didDoc") or {}).get("service") or []:
            if isinstance(service, dict) and str(service.get("id", "")).endswith(
                "#atproto_pds"
            ):
                pds = str(service.get("serviceEndpoint") or pds).rstrip("/")
        return Session(
            did=str(data.get("did") or ""),
            handle=str(data.get("handle") or ""),
            access=str(data.get("accessJwt") or ""),
            refresh=str(data.get("refreshJwt") or ""),
            pds=pds,
        )

    def _create_session(self, account: Any) -> Session:
        credentials = credentials_of(account)
        handle = str(credentials.get("handle") or "").lstrip("@")
        password = str(credentials.get("app_password") or "")
        if not handle or not password:
            raise ConnectorError(
                "The Bluesky account has no handle or app password; reconnect it.",
                kind="permanent",
                reconnect=True,
            )
        answer = self._xrpc(
            "POST",
            self._service(account),
            "com.atproto.server.createSession",
            body={"identifier": handle, "password": password},
            secrets=(password,),
        )
        if answer.status == 200:
            session = self._from_answer(account, answer.json())  # type: ignore[arg-type]
            self._save(account, session, password)
            return session
        code, message = _error_of(answer)
        if answer.status == 401 and code == "AuthenticationRequired":
            raise ConnectorError(
                f"Bluesky refused the app password for @{handle} ({message or code}); "
                "create a new app password and reconnect the account.",
                kind="permanent",
                http_status=401,
                reconnect=True,
            )
        if answer.status == 401:  # AccountTakedown, AccountDeactivated, ...
            raise ConnectorError(
                f"Bluesky will not let @{handle} sign in: {message or code}.",
                kind="permanent",
                http_status=401,
            )
        raise self._error(answer, "sign in")

    def _refresh(self, account: Any, session: Session) -> Session:
        """A new session from the refresh token; a refused refresh token signs
        in again with the app password."""
        if not session.refresh:
            return self._create_session(account)
        answer = self._xrpc(
            "POST",
            session.pds,
            "com.atproto.server.refreshSession",
            token=session.refresh,
            secrets=self._secrets(account),
        )
        if answer.status == 200:
            fresh = self._from_answer(account, answer.json())  # type: ignore[arg-type]
            fresh = Session(
                did=fresh.did or session.did,
                handle=fresh.handle or session.handle,
                access=fresh.access,
                refresh=fresh.refresh or session.refresh,
                pds=session.pds,
            )
            password = str(credentials_of(account).get("app_password") or "")
            self._save(account, fresh, password)
            return fresh
        code, _ = _error_of(answer)
        if answer.status in (400, 401) and (code in TOKEN_ERRORS or not code):
            return self._create_session(account)
        raise self._error(answer, "renew the session")

    def _session(self, account: Any) -> Session:
        session = self._stored(account)
        if session is None:
            return self._create_session(account)
        expiry = _jwt_expiry(session.access)
        if expiry is not None and expiry - EXPIRY_MARGIN_SECONDS < time.time():
            return self._refresh(account, session)
        return session

    def _save(self, account: Any, session: Session, password: str) -> None:
        """Keep the session on the account (in memory for this call, and in the
        database under a row lock unless the app password changed meanwhile)."""
        credentials = dict(credentials_of(account))
        credentials["session"] = session.as_credentials()
        account.credentials = credentials
        if not getattr(account, "pk", None):
            return
        from django.db import transaction

        from channels.models import ChannelAccount

        with transaction.atomic():
            current = (
                ChannelAccount.objects.select_for_update().filter(pk=account.pk).first()
            )
            if current is None:
                return
            stored = dict(current.credentials or {})
            if str(stored.get("app_password") or "") != password:
                return  # reconnected with another password: not our session
            stored["session"] = session.as_credentials()
            current.credentials = stored
            current.save(update_fields=["credentials"])

    def _authed(
        self,
        account: Any,
        method: str,
        nsid: str,
        *,
        doing: str,
        ok: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> tuple[http.Response, Session]:
        """One XRPC call with the account's session, renewed once if the PDS
        says the token no longer works (it then did nothing)."""
        session = self._session(account)
        for renewed in (False, True):
            answer = self._xrpc(
                method,
                session.pds,
                nsid,
                token=session.access,
                secrets=self._secrets(account),
                **kwargs,
            )
            code, _ = _error_of(answer) if answer.status in (400, 401) else ("", "")
            if not renewed and answer.status in (400, 401) and code in TOKEN_ERRORS:
                session = self._refresh(account, session)
                continue
            break
        if answer.status in ok:
            return answer, session
        if answer.status == 401:
            raise ConnectorError(
                "Bluesky no longer accepts this account's session; reconnect the "
                "account.",
                kind="permanent",
                http_status=401,
                detail=answer.body[:500].decode(errors="replace"),
            )
        raise self._error(answer, doing)

    # --- text ---------------------------------------------------------------------

    def facets(self, text: str, pds: str) -> list[dict[str, Any]]:
        """Links, mentions and hashtags of `text` with UTF-8 byte offsets."""
        facets: list[dict[str, Any]] = []
        taken: list[tuple[int, int]] = []
        for match in ANY_URL_RE.finditer(text):
            url = match.group(0)
            uri = url if "://" in url else f"https://{url}"
            taken.append(match.span())
            facets.append(
                {
                    "index": _byte_span(text, *match.span()),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
                }
            )

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        for match in MENTION_RE.finditer(text):
            if not free(*match.span()):
                continue
            did = self._resolve(match.group(1).lower(), pds)
            if did:
                facets.append(
                    {
                        "index": _byte_span(text, *match.span()),
                        "features": [
                            {"$type": "app.bsky.richtext.facet#mention", "did": did}
                        ],
                    }
                )
        for match in HASHTAG_RE.finditer(text):
            tag = match.group(1)
            if not free(*match.span()) or len(graphemes(tag)) > 64:
                continue
            facets.append(
                {
                    "index": _byte_span(text, *match.span()),
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                }
            )
        facets.sort(key=lambda f: f["index"]["byteStart"])
        return facets

    def _resolve(self, handle: str, pds: str) -> str:
        """The DID of `handle`, or "" (the mention then stays plain text)."""
        try:
            answer = self._xrpc(
                "GET",
                pds,
                "com.atproto.identity.resolveHandle",
                params={"handle": handle},
            )
        except ConnectorError:
            return ""
        if answer.status != 200:
            return ""
        data = answer.json()
        return str(data.get("did") or "") if isinstance(data, dict) else ""

    # --- the protocol ---------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[str]:
        credentials = credentials_of(request.account)
        if not credentials.get("handle") or not credentials.get("app_password"):
            return ["The Bluesky account has no handle or app password; reconnect it."]
        problems = []
        parts = [request.text, *request.thread]
        for number, text in enumerate(parts, start=1):
            where = f"Part {number} of the thread" if len(parts) > 1 else "The post"
            if not text.strip() and not (number == 1 and request.media):
                problems.append(f"{where} is empty.")
                continue
            length = len(graphemes(text))
            if length > MAX_GRAPHEMES:
                problems.append(
                    f"{where} is {length} characters; Bluesky allows {MAX_GRAPHEMES}."
                )
            size = len(text.encode())
            if size > MAX_BYTES:
                problems.append(
                    f"{where} is {size} bytes long; Bluesky allows {MAX_BYTES}."
                )
        if len(request.media) > MAX_IMAGES:
            problems.append(
                f"Bluesky allows {MAX_IMAGES} images per post; this one has "
                f"{len(request.media)}."
            )
        for media in request.media:
            if not media.content_type.startswith("image/"):
                problems.append(f"{media.content_type} is not an image type.")
                continue
            try:
                size = _file_size(media)
            except OSError:
                problems.append("An image file is missing.")
                continue
            if size > MAX_IMAGE_BYTES:
                problems.append(
                    f"An image is {size:,} bytes; Bluesky allows {MAX_IMAGE_BYTES:,}."
                )
        return problems

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        account = request.account
        session = self._session(account)
        images = [self._upload(account, media) for media in request.media]
        root: dict[str, str] | None = None
        parent: dict[str, str] | None = None
        first: PublishResult | None = None
        for number, text in enumerate([request.text, *request.thread]):
            record: dict[str, Any] = {
                "$type": POST,
                "text": text,
                "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6]
                + "Z",
            }
            facets = self.facets(text, session.pds)
            if facets:
                record["facets"] = facets
            if number == 0:
                embed = self._embed(request, images, facets)
                if embed:
                    record["embed"] = embed
            if root and parent:
                record["reply"] = {"root": root, "parent": parent}
            try:
                ref, session = self._create(
                    account, rkey_for(request.idempotency_key, number), record
                )
            except ConnectorError as exc:
                if first is None or exc.kind != "permanent":
                    raise  # a retry makes the missing parts (same rkeys)
                raise ConnectorError(
                    f"Part {number + 1} of the thread was refused after the first "
                    f"{number} were published: {exc.message}",
                    kind="permanent",
                    http_status=exc.http_status,
                    detail=exc.detail,
                ) from exc
            parent = ref
            root = root or ref
            if first is None:
                first = self._result(ref, session)
        assert first is not None
        return first

    def _embed(
        self,
        request: PublishRequest,
        images: list[dict[str, Any]],
        facets: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        if images:
            return {"$type": "app.bsky.embed.images", "images": images}
        link = request.link
        if not link:
            links = [
                feature["uri"]
                for facet in facets
                for feature in facet["features"]
                if feature["$type"].endswith("#link")
            ]
            link = links[0] if links else ""
        if not link:
            return None
        return {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": link,
                "title": request.title or urlsplit(link).hostname or link,
                "description": "",
            },
        }

    def _upload(self, account: Any, media: MediaItem) -> dict[str, Any]:
        answer, _ = self._authed(
            account,
            "POST",
            "com.atproto.repo.uploadBlob",
            doing="upload the image",
            raw=media.read(),
            content_type=media.content_type,
        )
        data = answer.json()
        blob = data.get("blob") if isinstance(data, dict) else None
        if not isinstance(blob, dict):
            raise ConnectorError(
                "Bluesky answered the upload without a blob.", kind="transient"
            )
        image: dict[str, Any] = {"image": blob, "alt": media.alt_text}
        if media.width > 0 and media.height > 0:
            image["aspectRatio"] = {"width": media.width, "height": media.height}
        return image

    def _create(
        self, account: Any, rkey: str, record: dict[str, Any]
    ) -> tuple[dict[str, str], Session]:
        """Create the record under `rkey`, or find the one a former try made."""
        session = self._session(account)
        body = {"repo": session.did, "collection": POST, "rkey": rkey, "record": record}
        try:
            answer, session = self._authed(
                account,
                "POST",
                "com.atproto.repo.createRecord",
                doing="publish the post",
                body=body,
                posting=True,
                ok=(200,),
            )
        except ConnectorError as exc:
            if exc.kind == "transient" or _duplicate(exc):
                found = self._get(account, session, rkey)
                if found is not None:
                    return found, session
            raise
        data = answer.json()
        if not isinstance(data, dict) or not data.get("uri"):
            raise ConnectorError(
                "Bluesky answered without the new post's address.", kind="ambiguous"
            )
        return {"uri": str(data["uri"]), "cid": str(data.get("cid") or "")}, session

    def _get(self, account: Any, session: Session, rkey: str) -> dict[str, str] | None:
        """The record `rkey` of the account's posts (a strong reference), if any."""
        answer = self._xrpc(
            "GET",
            session.pds,
            "com.atproto.repo.getRecord",
            params={"repo": session.did, "collection": POST, "rkey": rkey},
        )
        if answer.status == 200:
            data = answer.json()
            if isinstance(data, dict) and data.get("uri"):
                return {"uri": str(data["uri"]), "cid": str(data.get("cid") or "")}
            return None
        code, _ = _error_of(answer)
        if answer.status == 400 and code == "RecordNotFound":
            return None
        raise self._error(answer, "look the post up")

    def _result(self, ref: dict[str, str], session: Session) -> PublishResult:
        rkey = ref["uri"].rsplit("/", 1)[-1]
        profile = session.handle or session.did
        return PublishResult(
            external_id=ref["uri"],
            url=f"https://bsky.app/profile/{profile}/post/{rkey}",
            http_status=200,
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post this publication made, found by its deterministic rkeys; a
        thread counts only when every part is there (else a retry completes it)."""
        session = self._session(request.account)
        parts = [request.text, *request.thread]
        root = self._get(request.account, session, rkey_for(request.idempotency_key))
        if root is None:
            return None
        for number in range(1, len(parts)):
            key = rkey_for(request.idempotency_key, number)
            if self._get(request.account, session, key) is None:
                return None
        return self._result(root, session)

    def check(self, account: Any) -> AccountCheck:
        answer, session = self._authed(
            account, "GET", "com.atproto.server.getSession", doing="check the session"
        )
        data = answer.json()
        data = data if isinstance(data, dict) else {}
        handle = str(data.get("handle") or session.handle)
        return AccountCheck(
            external_id=str(data.get("did") or session.did),
            name=handle,
            handle=f"@{handle}",
            detail={"pds": session.pds},
        )


def _duplicate(error: ConnectorError) -> bool:
    text = f"{error.message} {error.detail}".lower()
    return "already exist" in text or "invalidswap" in text


def _file_size(media: MediaItem) -> int:
    import os

    return os.path.getsize(media.path)
