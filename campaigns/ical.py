"""The workspace's read-only iCalendar feed: its secret token and its RFC 5545 text.

The URL is the only credential (calendar apps cannot sign in), so the token is
a salted signature of the workspace id and its `calendar_feed_version`.
Raising the version (`feed_reset`) makes every earlier URL answer 404 without
storing any token. The text is written by hand: it is small, and the rules
that matter (CRLF, folding at 75 octets, escaping) are easy to get right and
to test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.core import signing
from django.db.models import F

from campaigns.models import Post
from workspaces.models import Workspace

SALT = "adloop.calendar-feed"
PRODID = "-//AdLoop//Editorial calendar//EN"


def feed_token(workspace: Workspace) -> str:
    return signing.Signer(salt=SALT).sign_object(
        {"w": workspace.pk, "v": workspace.calendar_feed_version}
    )


def workspace_for_token(token: str) -> Workspace | None:
    """The workspace a still-valid token names, or None (bad, foreign or revoked)."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pk, version = data.get("w"), data.get("v")
    if pk is None or version is None:  # matches no workspace
        return None
    return Workspace.objects.filter(pk=pk, calendar_feed_version=version).first()


def feed_reset(*, workspace: Workspace) -> Workspace:
    """Revoke the current feed URL: one atomic increment, safe under races."""
    Workspace.objects.filter(pk=workspace.pk).update(
        calendar_feed_version=F("calendar_feed_version") + 1
    )
    workspace.refresh_from_db(fields=["calendar_feed_version"])
    return workspace


def escape_text(value: str) -> str:
    """TEXT escaping of RFC 5545 §3.3.11: backslash, semicolon, comma, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (§3.1), never inside a UTF-8 character.

    Continuation lines start with one space, which counts towards their 75.
    """
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [" "], 1, 75
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def render(
    workspace: Workspace,
    posts: Iterable[Post],
    *,
    post_url: Callable[[Post], str],
    uid_domain: str,
    now: datetime,
) -> str:
    """The VCALENDAR text, CRLF-terminated lines, folded and escaped."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'AdLoop · {workspace.name}')}",
    ]
    for post in posts:
        assert post.scheduled_at is not None
        networks = ", ".join(a.get_network_display() for a in post.accounts.all())
        description = [
            f"Status: {post.get_status_display()}",
            f"Campaign: {post.campaign.name}",
        ]
        if networks:
            description.append(f"Channels: {networks}")
        if post.angle:
            description.append(f"Angle: {post.angle}")
        if post.body:
            description.extend(["", post.body])
        lines += [
            "BEGIN:VEVENT",
            f"UID:post-{post.pk}@{uid_domain}",
            f"DTSTAMP:{_utc(now)}",
            f"LAST-MODIFIED:{_utc(post.updated_at)}",
            f"DTSTART:{_utc(post.scheduled_at)}",
            "DURATION:PT15M",
            f"SUMMARY:{escape_text(post.topic)}",
            f"DESCRIPTION:{escape_text(chr(10).join(description))}",
            f"URL:{post_url(post)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
