"""A local OAuth 2.0 authorization server playing the endpoints AdLoop's connect
flows use (connections/oauth.py), as the networks document them:

- X (https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/
  authorization-code): `GET /i/oauth2/authorize` (PKCE required),
  `POST /2/oauth2/token` (confidential client: HTTP Basic), `GET /2/users/me`.
- LinkedIn (https://learn.microsoft.com/linkedin/shared/authentication/
  authorization-code-flow): `GET /oauth/v2/authorization`,
  `POST /oauth/v2/accessToken` (client secret in the body), `GET /v2/userinfo`.
- Facebook Login (https://developers.facebook.com/docs/facebook-login/guides/
  advanced/manual-flow): `GET /v21.0/dialog/oauth`,
  `POST /v21.0/oauth/access_token` (code, or `fb_exchange_token`), `GET /v21.0/me`;
  errors in the Graph shape (`{"error": {"code": 190, ...}}`).
- Mastodon (https://docs.joinmastodon.org/methods/apps/ and /methods/oauth/):
  `POST /api/v1/apps`, `GET /oauth/authorize`, `POST /oauth/token`,
  `GET /api/v1/accounts/verify_credentials`.

The authorize endpoints sign `user` in at once and answer 302 to the
redirect_uri with a one-time code bound to the client, the redirect_uri and the
PKCE challenge. The token endpoint checks the `code_verifier` against that
challenge (S256), rotates refresh tokens (a used one answers `invalid_grant`, as
X's do) and answers RFC 6749 §5.2 errors. Tests script 5xx, 429 and lost answers
with `fail(...)` / `lose_answer(...)` from the base class.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.fakes.recording import FakeServer, Recorded, Reply, bearer

AUTHORIZE_PATHS = {
    "/i/oauth2/authorize": "x",
    "/oauth/v2/authorization": "linkedin",
    "/v21.0/dialog/oauth": "facebook",
    "/oauth/authorize": "mastodon",
}
TOKEN_PATHS = {
    "/2/oauth2/token": "x",
    "/oauth/v2/accessToken": "linkedin",
    "/v21.0/oauth/access_token": "facebook",
    "/oauth/token": "mastodon",
}


def s256(verifier: str) -> str:
    """RFC 7636 §4.2, computed here independently of the code under test."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Grant:
    """What a person allowed one client: the tokens issued under it."""

    client_id: str
    user: dict[str, str]
    scope: str
    revoked: bool = False


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    grant: Grant
    used: bool = False


class FakeOAuth(FakeServer):
    """Set `user` to the person who signs in next; `clients` holds the known
    client ids and secrets (Mastodon apps register themselves)."""

    name = "fake-oauth"

    def __init__(self, *, clients: dict[str, str] | None = None) -> None:
        super().__init__()
        self.access_ttl = 7200
        self.clients: dict[str, str] = dict(clients or {})
        self.user: dict[str, str] = {
            "id": "1001",
            "name": "Bean Shop",
            "username": "beanshop",
            "avatar": "https://cdn.example/beanshop.png",
        }
        self.codes: dict[str, Code] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.used_refresh: set[str] = set()
        self.apps: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    # -- what a test reads or changes ---------------------------------------
    def revoke_all(self) -> None:
        """The person removed AdLoop from their connected apps."""
        with self._lock:
            for grant in [*self.access.values(), *self.refresh.values()]:
                grant.revoked = True

    def token_calls(self, grant_type: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.calls("POST")
            if r.path in TOKEN_PATHS
            and (grant_type is None or r.form().get("grant_type") == grant_type)
        ]

    # -- the endpoints --------------------------------------------------------
    def handle(self, request: Recorded) -> Reply:
        with self._lock:
            if request.method == "GET" and request.path in AUTHORIZE_PATHS:
                return self._authorize(request)
            if request.method == "POST" and request.path in TOKEN_PATHS:
                return self._token(request, TOKEN_PATHS[request.path])
            if request.method == "POST" and request.path == "/api/v1/apps":
                return self._register(request)
            if request.method == "GET" and request.path in PROFILE_PATHS:
                return self._profile(request, PROFILE_PATHS[request.path])
        return Reply(404, {"error": "Not found"})

    def _register(self, request: Recorded) -> Reply:
        form = request.form()
        if not form.get("client_name") or not form.get("redirect_uris"):
            return Reply(422, {"error": "Validation failed: missing fields"})
        client_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
        self.clients[client_id] = secret
        app = {
            "id": str(next(self._ids)),
            "name": form["client_name"],
            "website": form.get("website", ""),
            "redirect_uri": form["redirect_uris"],
            "scopes": form.get("scopes", "read").split(),
            "client_id": client_id,
            "client_secret": secret,
        }
        self.apps.append(app)
        return Reply(200, app)

    def _authorize(self, request: Recorded) -> Reply:
        query = {k: v[-1] for k, v in request.query.items()}
        network = AUTHORIZE_PATHS[request.path]
        if query.get("client_id") not in self.clients:
            return Reply(400, {"error": "invalid_client"})
        if query.get("response_type") != "code" or not query.get("redirect_uri"):
            return Reply(400, {"error": "invalid_request"})
        if network == "mastodon":
            app = next(a for a in self.apps if a["client_id"] == query["client_id"])
            if query["redirect_uri"] not in app["redirect_uri"].split():
                return Reply(400, {"error": "invalid_request"})
        challenge = query.get("code_challenge", "")
        method = query.get("code_challenge_method", "")
        if network == "x" and (not challenge or method not in ("S256", "plain")):
            return Reply(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(18)
        self.codes[code] = Code(
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            challenge=challenge,
            method=method,
            grant=Grant(query["client_id"], dict(self.user), query.get("scope", "")),
        )
        back = urlencode({"code": code, "state": query.get("state", "")})
        return Reply(302, b"", {"Location": f"{query['redirect_uri']}?{back}"})

    def _client(self, request: Recorded, network: str) -> str | None:
        """The authenticated client id (None: bad credentials)."""
        form = request.form()
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            pair = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = pair.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if network == "x" and not auth:
            return None  # AdLoop is a confidential client on X: Basic auth
        if client_id not in self.clients or self.clients[client_id] != secret:
            return None
        return client_id

    def _error(self, network: str, error: str, status: int = 400) -> Reply:
        if network == "facebook":
            code = 190 if error == "invalid_grant" else 100
            return Reply(
                status,
                {"error": {"message": error, "type": "OAuthException", "code": code}},
            )
        return Reply(status, {"error": error, "error_description": error})

    def _issue(self, grant: Grant, *, refresh: bool = True) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        self.access[access] = grant
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_ttl,
            "scope": grant.scope,
        }
        if refresh:
            token = secrets.token_urlsafe(24)
            self.refresh[token] = grant
            answer["refresh_token"] = token
        return answer

    def _token(self, request: Recorded, network: str) -> Reply:
        form = request.form()
        client_id = self._client(request, network)
        if client_id is None:
            return self._error(network, "invalid_client", 401)
        kind = form.get("grant_type", "")
        if kind == "authorization_code":
            code = self.codes.get(form.get("code", ""))
            if code is None or code.used or code.client_id != client_id:
                return self._error(network, "invalid_grant")
            code.used = True
            if form.get("redirect_uri") != code.redirect_uri:
                return self._error(network, "invalid_grant")
            if code.challenge:
                verifier = form.get("code_verifier", "")
                expected = verifier if code.method == "plain" else s256(verifier)
                if not verifier or expected != code.challenge:
                    return self._error(network, "invalid_grant")
            # Facebook and LinkedIn's web flow give no refresh token.
            refresh = network in ("x", "mastodon")
            return Reply(200, self._issue(code.grant, refresh=refresh))
        if kind == "refresh_token":
            token = form.get("refresh_token", "")
            grant = self.refresh.pop(token, None)
            if grant is None or grant.revoked or grant.client_id != client_id:
                return self._error(network, "invalid_grant")
            self.used_refresh.add(token)
            return Reply(200, self._issue(grant))
        if kind == "fb_exchange_token" and network == "facebook":
            grant = self.access.get(form.get("fb_exchange_token", ""))
            if grant is None or grant.revoked:
                return self._error(network, "invalid_grant")
            return Reply(200, self._issue(grant, refresh=False))
        return self._error(network, "unsupported_grant_type")

    def _profile(self, request: Recorded, network: str) -> Reply:
        grant = self.access.get(bearer(request))
        if grant is None or grant.revoked:
            return Reply(401, {"error": "invalid_token"})
        user = grant.user
        if network == "x":
            return Reply(
                200,
                {
                    "data": {
                        "id": user["id"],
                        "name": user["name"],
                        "username": user["username"],
                        "profile_image_url": user["avatar"],
                    }
                },
            )
        if network == "linkedin":
            return Reply(
                200,
                {"sub": user["id"], "name": user["name"], "picture": user["avatar"]},
            )
        if network == "facebook":
            picture = {"data": {"url": user["avatar"], "is_silhouette": False}}
            return Reply(
                200, {"id": user["id"], "name": user["name"], "picture": picture}
            )
        return Reply(
            200,
            {
                "id": user["id"],
                "username": user["username"],
                "acct": user["username"],
                "display_name": user["name"],
                "avatar": user["avatar"],
            },
        )


PROFILE_PATHS = {
    "/2/users/me": "x",
    "/v2/userinfo": "linkedin",
    "/v21.0/me": "facebook",
    "/api/v1/accounts/verify_credentials": "mastodon",
}
