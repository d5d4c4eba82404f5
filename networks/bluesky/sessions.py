"""Bluesky sessions: the stored access token while it is valid, else a
refresh, else a new sign-in with the app password; the session is written back
to the account and kept through the caller's `ConnectorStore` (see the package
docstring for the rules)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from core import http
from networks.base import ConnectorError, ConnectorStore, credentials_of
from networks.bluesky.xrpc import (
    DEFAULT_SERVICE,
    TOKEN_ERRORS,
    XrpcClient,
    error_of,
)

# An access token this close to its expiry is refreshed before use.
EXPIRY_MARGIN_SECONDS = 60


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


class SessionClient(XrpcClient):
    """XRPC calls made as the account: `_authed` renews the session once when
    the PDS says its token no longer works."""

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

    def _from_answer(self, account: Any, data: Any) -> Session:
        """The session in a createSession/refreshSession answer. `data` is the
        answer's JSON as parsed, unchecked: read as an object, as XRPC says it is."""
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

    def _create_session(self, account: Any, store: ConnectorStore) -> Session:
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
            session = self._from_answer(account, answer.json())
            self._save(account, store, session, password)
            return session
        code, message = error_of(answer)
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

    def _refresh(
        self, account: Any, store: ConnectorStore, session: Session
    ) -> Session:
        """A new session from the refresh token; a refused refresh token signs
        in again with the app password."""
        if not session.refresh:
            return self._create_session(account, store)
        answer = self._xrpc(
            "POST",
            session.pds,
            "com.atproto.server.refreshSession",
            token=session.refresh,
            secrets=self._secrets(account),
        )
        if answer.status == 200:
            fresh = self._from_answer(account, answer.json())
            fresh = Session(
                did=fresh.did or session.did,
                handle=fresh.handle or session.handle,
                access=fresh.access,
                refresh=fresh.refresh or session.refresh,
                pds=session.pds,
            )
            password = str(credentials_of(account).get("app_password") or "")
            self._save(account, store, fresh, password)
            return fresh
        code, _ = error_of(answer)
        if answer.status in (400, 401) and (code in TOKEN_ERRORS or not code):
            return self._create_session(account, store)
        raise self._error(answer, "renew the session")

    def _session(self, account: Any, store: ConnectorStore) -> Session:
        session = self._stored(account)
        if session is None:
            return self._create_session(account, store)
        expiry = _jwt_expiry(session.access)
        if expiry is not None and expiry - EXPIRY_MARGIN_SECONDS < time.time():
            return self._refresh(account, store, session)
        return session

    def _save(
        self, account: Any, store: ConnectorStore, session: Session, password: str
    ) -> None:
        """Keep the session on the account (in memory for this call) and, for
        a saved account, in `store` (which skips it when the account was
        reconnected with another app password meanwhile)."""
        credentials = dict(credentials_of(account))
        credentials["session"] = session.as_credentials()
        account.credentials = credentials
        if getattr(account, "pk", None):
            store.save_session(
                account.pk, session.as_credentials(), app_password=password
            )

    def _authed(
        self,
        account: Any,
        store: ConnectorStore,
        method: str,
        nsid: str,
        *,
        doing: str,
        ok: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> tuple[http.Response, Session]:
        """One XRPC call with the account's session, renewed once if the PDS
        says the token no longer works (it then did nothing)."""
        session = self._session(account, store)
        for renewed in (False, True):
            answer = self._xrpc(
                method,
                session.pds,
                nsid,
                token=session.access,
                secrets=self._secrets(account),
                **kwargs,
            )
            code, _ = error_of(answer) if answer.status in (400, 401) else ("", "")
            if not renewed and answer.status in (400, 401) and code in TOKEN_ERRORS:
                session = self._refresh(account, store, session)
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
