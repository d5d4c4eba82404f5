"""The Bluesky connector: the protocol (`validate`, `publish`, `lookup`,
`check`) on top of the session and facet layers."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    MediaItem,
    MemoryStore,
    PublishRequest,
    PublishResult,
    credentials_of,
)
from networks.bluesky.sessions import Session, SessionClient
from networks.bluesky.text import Facets, rkey_for
from networks.bluesky.xrpc import error_of
from networks.textrules import graphemes

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000


class BlueskyConnector(SessionClient, Facets):
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
        account, store = request.account, request.store
        session = self._session(account, store)
        images = [self._upload(account, store, media) for media in request.media]
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
                    account, store, rkey_for(request.idempotency_key, number), record
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

    def _upload(
        self, account: Any, store: ConnectorStore, media: MediaItem
    ) -> dict[str, Any]:
        answer, _ = self._authed(
            account,
            store,
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
        self, account: Any, store: ConnectorStore, rkey: str, record: dict[str, Any]
    ) -> tuple[dict[str, str], Session]:
        """Create the record under `rkey`, or find the one a former try made."""
        session = self._session(account, store)
        body = {"repo": session.did, "collection": POST, "rkey": rkey, "record": record}
        try:
            answer, session = self._authed(
                account,
                store,
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
        code, _ = error_of(answer)
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
        session = self._session(request.account, request.store)
        parts = [request.text, *request.thread]
        root = self._get(request.account, session, rkey_for(request.idempotency_key))
        if root is None:
            return None
        for number in range(1, len(parts)):
            key = rkey_for(request.idempotency_key, number)
            if self._get(request.account, session, key) is None:
                return None
        return self._result(root, session)

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        answer, session = self._authed(
            account,
            store or MemoryStore(),
            "GET",
            "com.atproto.server.getSession",
            doing="check the session",
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
    return os.path.getsize(media.path)
