"""WordPress: a blog post through the REST API (`wp/v2/posts`, `wp/v2/media`).

Credentials (the account's encrypted `credentials` JSON):
- `site_url`: the blog's address (https://blog.example);
- `username` and `app_password`: an application password (Users → Profile →
  Application Passwords), sent as HTTP basic auth;
- `status`: "publish" (default) or "draft" (a person publishes it in WordPress);
- `categories`: category names every post goes in (optional; they must exist);
- `api`: "rest_route" (default: `/?rest_route=/wp/v2/...`, which works on every
  site, with or without pretty permalinks) or "wp-json" (`/wp-json/wp/v2/...`).

`request.extra` carries the post's `tags` and `categories` (names; see
`campaigns.terms`: by default the copy's hashtags and the post's pillar). Each
name is looked up (`GET wp/v2/tags?search=`, `wp/v2/categories?search=`) and
created when missing (`POST`); where WordPress refuses to create one (an author
may make tags, only editors and administrators categories) the publication
fails permanently, naming the term. The channel's own `categories` must exist
(a typo there is an error naming it). The first image becomes the featured
image (uploaded to the media library with its alt text).

Idempotency: the post's slug is the publication's idempotency key, so
`lookup()` finds a post an earlier try made (`GET wp/v2/posts?slug=…&status=any`);
`publish()` looks first, so a retry never makes a second post (`dedupes`).

Errors: 401 → the application password was revoked or is wrong (reconnect);
403 → the user's role may not do this (permanent); 400 `rest_invalid_param` →
permanent, naming the parameter; 429 and 5xx → transient; no answer after the
post was sent → ambiguous (then looked up).
"""

from __future__ import annotations

import base64
import json
from html import unescape
from typing import Any
from urllib.parse import quote, urlencode

from django.utils.html import escape, urlize

from core import http, outbound_urls
from core.retry_after import retry_after_seconds
from networks import apicall
from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    MediaItem,
    PublishRequest,
    PublishResult,
    credentials_of,
)

USER_AGENT = "AdLoop-WordPress/1"
TITLE_LIMIT = 200
STATUSES = ("publish", "draft")


class _Site:
    """One blog's API address and credentials (built per call: stateless)."""

    def __init__(self, account: Any) -> None:
        raw = credentials_of(account)
        self.base = str(raw.get("site_url") or "").strip().rstrip("/")
        self.username = str(raw.get("username") or "")
        self.password = str(raw.get("app_password") or "")
        self.status = str(raw.get("status") or "publish")
        self.categories = [str(c) for c in raw.get("categories") or []]
        self.pretty = str(raw.get("api") or "rest_route") == "wp-json"

    def problems(self) -> list[str]:
        found = []
        if not self.base.startswith(("https://", "http://")):
            found.append("The WordPress channel has no valid site address.")
        if not (self.username and self.password):
            found.append(
                "The WordPress channel has no username and application password."
            )
        if self.status not in STATUSES:
            found.append('The WordPress post status must be "publish" or "draft".')
        return found

    def url(self, route: str, **query: Any) -> str:
        route = "/wp/v2/" + route.lstrip("/")
        params = urlencode({k: v for k, v in query.items() if v is not None})
        if self.pretty:
            return f"{self.base}/wp-json{route}" + (f"?{params}" if params else "")
        return f"{self.base}/?rest_route={quote(route)}" + (
            f"&{params}" if params else ""
        )

    def call(
        self,
        method: str,
        route: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        creates: bool = False,
        **query: Any,
    ) -> Any:
        """One API call; its JSON, or a `ConnectorError`. `creates`: a lost
        answer may mean the object exists (ambiguous), else transient."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        sent_headers = {
            "Authorization": f"Basic {token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            **(headers or {}),
        }
        content = raw
        if body is not None:
            content = json.dumps(body).encode()
            sent_headers["Content-Type"] = "application/json"
        answer = apicall.call(
            method,
            self.url(route, **query),
            network="WordPress",
            content=content,
            headers=sent_headers,
            secrets_=[self.password, token],
            creates_post=creates,
            refused=outbound_urls.refused("The WordPress site's address"),
        )
        return _json_or_raise(answer, self.password)


def _json_or_raise(answer: http.Response, password: str) -> Any:
    status = answer.status
    try:
        data: Any = answer.json()
    except ValueError:
        data = None
    if 200 <= status < 300:
        return data
    error = data if isinstance(data, dict) else {}
    code = str(error.get("code") or "")
    said = str(error.get("message") or "")
    detail = http.redact(answer.body[:500].decode(errors="replace"), [password])
    if status == 401:
        raise ConnectorError(
            "WordPress refused the username or application password (it may "
            "have been revoked); reconnect the channel.",
            kind="permanent",
            reconnect=True,
            http_status=status,
            detail=detail,
        )
    if status == 403:
        raise ConnectorError(
            "The WordPress user's role may not do this (it needs to be an "
            f"author, editor or administrator): {said or code}",
            kind="permanent",
            http_status=status,
            detail=detail,
        )
    if status == 429 or status >= 500:
        raise ConnectorError(
            f"WordPress is temporarily unavailable (HTTP {status}); trying again.",
            kind="transient",
            retry_after=retry_after_seconds(answer.headers.get("retry-after")),
            http_status=status,
            detail=detail,
        )
    if code == "rest_invalid_param":
        params = (error.get("data") or {}).get("params") or {}
        named = "; ".join(f"{k}: {v}" for k, v in params.items()) or said
        message = f"WordPress rejected the post ({named})."
    elif code in ("rest_no_route", "rest_post_invalid_id") or status == 404:
        message = (
            "The WordPress REST API was not found at this address; check the "
            "site address."
        )
    else:
        message = f"WordPress rejected the post (HTTP {status}): {said or code}"
    raise ConnectorError(message, kind="permanent", http_status=status, detail=detail)


def _existing_term(detail: str) -> int | None:
    """The id in WordPress's `term_exists` answer (`data.term_id`), if legible."""
    try:
        data = json.loads(detail)
        return int(data["data"]["term_id"])
    except (ValueError, TypeError, KeyError):
        return None


def slug_for(request: PublishRequest) -> str:
    """The post's slug: the idempotency key (WordPress keeps [a-z0-9-])."""
    return request.idempotency_key.lower().replace("_", "-")[:190]


def title_for(request: PublishRequest) -> str:
    lines = request.text.strip().splitlines() or [""]
    title = " ".join((request.title or lines[0]).split())
    return title[:TITLE_LIMIT]


def content_for(request: PublishRequest) -> str:
    """The post's HTML: the copy's paragraphs (links made clickable), then the
    link when the copy does not already contain it."""
    text, link = request.text.strip(), request.link.strip()
    parts = [
        "<p>" + urlize(p.strip(), autoescape=True).replace("\n", "<br>\n") + "</p>"
        for p in text.split("\n\n")
        if p.strip()
    ]
    if link and link not in text:
        parts.append(f'<p><a href="{escape(link)}">{escape(link)}</a></p>')
    return "\n\n".join(parts)


class WordPressConnector:
    key = "wordpress"
    capabilities = Capabilities(
        text_limit=None,
        max_images=1,
        max_image_bytes=None,  # the site's upload_max_filesize decides
        link_cards=False,
        dedupes=True,
        lookup=True,
        terms=True,
    )

    def validate(self, request: PublishRequest) -> list[str]:
        problems = _Site(request.account).problems()
        if not request.text.strip():
            problems.append("The blog post has no text.")
        return problems

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        site = _Site(request.account)
        try:
            found = site.call(
                "GET", "posts", slug=slug_for(request), status="any", context="edit"
            )
        except ConnectorError as exc:
            if exc.http_status not in (400, 401, 403) or exc.reconnect:
                raise
            # WordPress answers "status/context forbidden" (400) before it says
            # why: refused credentials (401 here) or a role that may not see
            # drafts, which may not write posts either.
            site.call("GET", "users/me")
            raise ConnectorError(
                "The WordPress user's role may not write posts (it needs to be "
                "an author, editor or administrator).",
                kind="permanent",
                http_status=403,
                detail=exc.detail,
            ) from exc
        if isinstance(found, list) and found:
            post = found[0]
            return PublishResult(
                external_id=str(post.get("id")), url=str(post.get("link") or "")
            )
        return None

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        site = _Site(request.account)
        existing = self.lookup(request)  # an earlier try made it: never twice
        if existing is not None:
            return existing
        body: dict[str, Any] = {
            "title": title_for(request),
            "content": content_for(request),
            "status": site.status,
            "slug": slug_for(request),
        }
        # The channel's own categories must exist (a typo there is the blog
        # owner's to fix); the post's are made when missing, where allowed.
        categories = [
            *(self._term(site, "categories", n, create=False) for n in site.categories),
            *(
                self._term(site, "categories", str(n), create=True)
                for n in request.extra.get("categories") or []
            ),
        ]
        if categories:
            body["categories"] = list(dict.fromkeys(categories))
        tags = [
            self._term(site, "tags", str(n), create=True)
            for n in request.extra.get("tags") or []
        ]
        if tags:
            body["tags"] = list(dict.fromkeys(tags))
        if request.media:
            body["featured_media"] = self._upload(site, request.media[0])
        post = site.call("POST", "posts", body=body, creates=True)
        return PublishResult(
            external_id=str(post.get("id")),
            url=str(post.get("link") or ""),
            http_status=201,
        )

    def _term_id(self, site: _Site, taxonomy: str, name: str) -> int | None:
        found = site.call("GET", taxonomy, search=name, per_page=100)
        for term in found or []:
            # WordPress answers names HTML-escaped ("Beans &amp; Roast").
            if unescape(str(term.get("name", ""))).casefold() == name.casefold():
                return int(term["id"])
        return None

    def _term(self, site: _Site, taxonomy: str, name: str, *, create: bool) -> int:
        """The id of the tag or category `name`, made when missing and `create`.

        A blog refuses to make a term for a user whose role may not (categories
        need an editor or administrator): that is permanent and names the term,
        so the person can make it in WordPress or change the post.
        """
        one = "tag" if taxonomy == "tags" else "category"
        term = self._term_id(site, taxonomy, name)
        if term is not None:
            return term
        if not create:
            raise ConnectorError(
                f'The WordPress {one} "{name}" does not exist; create it in '
                "WordPress or remove it from the channel.",
                kind="permanent",
            )
        try:
            return int(site.call("POST", taxonomy, body={"name": name})["id"])
        except ConnectorError as exc:
            if "term_exists" in exc.detail:  # made meanwhile by another post
                term = _existing_term(exc.detail) or self._term_id(site, taxonomy, name)
                if term is not None:
                    return term
            if exc.http_status in (401, 403) and not exc.reconnect:
                raise ConnectorError(
                    f'The WordPress {one} "{name}" does not exist and this '
                    f"WordPress user may not create it (an editor or "
                    f"administrator may); create it in WordPress or change the "
                    f"post's blog {taxonomy}.",
                    kind="permanent",
                    http_status=exc.http_status,
                    detail=exc.detail,
                ) from exc
            raise

    def _upload(self, site: _Site, item: MediaItem) -> int:
        name = item.path.rsplit("/", 1)[-1] or "image"
        media = site.call(
            "POST",
            "media",
            raw=item.read(),
            headers={
                "Content-Type": item.content_type,
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
        media_id = int(media["id"])
        if item.alt_text:
            site.call("POST", f"media/{media_id}", body={"alt_text": item.alt_text})
        return media_id

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        """`GET wp/v2/users/me?context=edit`: who the application password is."""
        site = _Site(account)
        problems = site.problems()
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        me = site.call("GET", "users/me", context="edit")
        return AccountCheck(
            external_id=str(me.get("id")),
            name=str(me.get("name") or ""),
            handle=str(me.get("slug") or me.get("username") or ""),
            avatar_url=str((me.get("avatar_urls") or {}).get("96") or ""),
            detail={"roles": me.get("roles") or [], "site": site.base},
        )
