"""A local LinkedIn API server: the Posts API subset the connector uses
(https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api,
.../images-api), with LinkedIn's errors.

- Every `/rest/` call needs `LinkedIn-Version` (a YYYYMM in `active_versions`;
  an older one → 426 `NONEXISTENT_VERSION`, none → 400) and
  `X-Restli-Protocol-Version: 2.0.0`.
- `POST /rest/posts` → 201, the URN in `x-restli-id`, empty body. Checks the
  author is the token's member or an organization it administers, commentary
  of at most 3,000 characters (after undoing the little-text escapes), images
  uploaded, and refuses a repeat of the same commentary with 422 ("Content is a
  duplicate of urn:li:share:…").
- `POST /rest/images?action=initializeUpload` → `{"value": {"uploadUrl",
  "image"}}`; `PUT` to the upload URL stores the bytes (201).
- `GET /v2/userinfo` (OpenID Connect, unversioned).
- Unknown token → 401 `{"status": 401, "serviceErrorCode": 65600, ...}`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from tests.fakes.recording import FakeServer, Recorded, Reply, bearer


def error(status: int, message: str, code: str = "") -> Reply:
    body: dict[str, object] = {"status": status, "message": message}
    if code:
        body["code"] = code
    return Reply(status, body)


def unescape(commentary: str) -> str:
    return re.sub(r"\\(.)", r"\1", commentary)


@dataclass
class Post:
    urn: str
    author: str
    commentary: str  # as sent (escaped)
    text: str  # as shown
    content: dict[str, object] = field(default_factory=dict)


class FakeLinkedIn(FakeServer):
    name = "fake-linkedin"

    def __init__(self) -> None:
        super().__init__()
        self.member = "yrZCpj2Z12"
        self.organizations = {"urn:li:organization:2414183"}
        self.tokens = {"li-token-1"}
        self.active_versions = {"202510", "202511"}
        self.posts: list[Post] = []
        self.images: dict[str, bytes | None] = {}  # urn → bytes once uploaded
        self._uploads: dict[str, str] = {}  # upload id → image urn
        self._ids = itertools.count(7_100_000_000_000_000_001)

    def handle(self, request: Recorded) -> Reply:
        path = request.path
        if request.method == "PUT" and path.startswith("/upload/"):
            urn = self._uploads.get(path.rsplit("/", 1)[-1])
            if urn is None:
                return error(404, "No such upload.")
            if bearer(request) not in self.tokens:
                return error(401, "Invalid access token")
            self.images[urn] = request.body
            return Reply(201, b"")
        if bearer(request) not in self.tokens:
            return Reply(
                401,
                {
                    "status": 401,
                    "serviceErrorCode": 65600,
                    "code": "INVALID_ACCESS_TOKEN",
                    "message": "Invalid access token",
                },
            )
        if request.method == "GET" and path == "/v2/userinfo":
            return Reply(
                200,
                {
                    "sub": self.member,
                    "name": "Ana Roaster",
                    "picture": "https://media.example/p.jpg",
                    "email_verified": True,
                },
            )
        if path.startswith("/rest/"):
            refused = self._version_refusal(request)
            if refused is not None:
                return refused
        if request.method == "POST" and path == "/rest/images":
            return self._initialize_upload(request)
        if request.method == "POST" and path == "/rest/posts":
            return self._post(request)
        return error(404, f"No resource {path}.")

    def _version_refusal(self, request: Recorded) -> Reply | None:
        """The versioned REST API's gate: a missing or retired version and the
        wrong Rest.li protocol are refused before any resource is looked at."""
        version = request.headers.get("linkedin-version", "")
        if not version:
            return error(400, "A version must be present.", "VERSION_MISSING")
        if version not in self.active_versions:
            return error(
                426,
                f"Requested version {version} is not active",
                "NONEXISTENT_VERSION",
            )
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return error(400, "Rest.li protocol 2.0.0 is required.")
        return None

    def _initialize_upload(self, request: Recorded) -> Reply:
        """Step one of LinkedIn's two-step image upload: the URN now, the bytes
        later with a PUT to the returned upload URL."""
        if request.query.get("action") != ["initializeUpload"]:
            return error(400, "Unknown action.")
        owner = request.json()["initializeUploadRequest"]["owner"]
        if not self._may_act_as(owner):
            return error(403, f"Not enough permissions to act as {owner}.")
        upload = str(next(self._ids))
        urn = f"urn:li:image:C4E10AQ{upload}"
        self._uploads[upload] = urn
        self.images[urn] = None
        return Reply(
            200,
            {
                "value": {
                    "uploadUrlExpiresAt": 1_900_000_000_000,
                    "uploadUrl": f"{self.base_url}/upload/{upload}",
                    "image": urn,
                }
            },
        )

    def _may_act_as(self, author: str) -> bool:
        return author == f"urn:li:person:{self.member}" or author in self.organizations

    def _post(self, request: Recorded) -> Reply:
        body = request.json() or {}
        author = str(body.get("author") or "")
        if not self._may_act_as(author):
            return error(
                403,
                f"Not enough permissions to create a post as {author}.",
                "ACCESS_DENIED",
            )
        for name in ("visibility", "distribution", "lifecycleState"):
            if name not in body:
                return error(422, f"/{name} is required.", "MISSING_FIELD")
        text = unescape(str(body.get("commentary") or ""))
        if len(text.encode("utf-16-le")) // 2 > 3000:
            return error(
                422,
                "/commentary :: length of text exceeds maximum of 3000.",
                "FIELD_LENGTH_TOO_LONG",
            )
        content = body.get("content") or {}
        wanted = []
        if "media" in content:
            wanted = [content["media"]["id"]]
        elif "multiImage" in content:
            wanted = [i["id"] for i in content["multiImage"]["images"]]
        if any(self.images.get(urn) is None for urn in wanted):
            return error(422, "Image has not been uploaded.", "INVALID_CONTENT")
        for post in self.posts:
            if post.author == author and post.text == text:
                return error(
                    422, f"Content is a duplicate of {post.urn}", "DUPLICATE_POST"
                )
        urn = f"urn:li:share:{next(self._ids)}"
        self.posts.append(Post(urn, author, str(body.get("commentary")), text, content))
        return Reply(201, b"", {"x-restli-id": urn})
