"""The iCalendar feed: secret URL, RFC 5545 text, revocation, tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import ical
from campaigns.models import PostStatus
from tests.factories import CampaignFactory, ChannelAccountFactory, PostFactory
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
WHEN = datetime(2031, 5, 6, 7, 30, tzinfo=UTC)


def _feed_url(workspace) -> str:
    workspace.refresh_from_db()
    return reverse("calendar-feed", args=[ical.feed_token(workspace)])


def _unfold(text: str) -> list[str]:
    """Parse content lines as a client does: CRLF only, continuation by a space."""
    assert "\n" not in text.replace("\r\n", "")
    lines: list[str] = []
    for raw in text.split("\r\n")[:-1]:
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def _events(text: str) -> list[dict[str, str]]:
    events, current = [], None
    for line in _unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return events


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@pytest.fixture
def campaign(tenant):
    account = ChannelAccountFactory(workspace=tenant.workspace, name="Main")
    return CampaignFactory(workspace=tenant.workspace, cadences=[(account, 3)])


def test_feed_lists_approved_scheduled_published_posts_without_a_session(
    tenant, campaign
):
    shown = {
        status: PostFactory(
            campaign=campaign, status=status, scheduled_at=WHEN, topic=f"T {status}"
        )
        for status in (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHED)
    }
    PostFactory(campaign=campaign, status=PostStatus.DRAFT, topic="T draft")
    PostFactory(campaign=campaign, status=PostStatus.IN_REVIEW, topic="T review")
    response = Client().get(_feed_url(tenant.workspace))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    events = _events(text)
    assert {e["SUMMARY"] for e in events} == {f"T {s}" for s in shown}
    event = next(e for e in events if e["SUMMARY"] == "T scheduled")
    post = shown[PostStatus.SCHEDULED]
    assert event["UID"] == f"post-{post.pk}@testserver"
    assert event["DTSTART"] == "20310506T073000Z"
    assert event["DTSTAMP"].endswith("Z") and len(event["DTSTAMP"]) == 16
    assert event["URL"] == f"http://testserver/posts/{post.pk}/"
    assert "Campaign: " in _unescape(event["DESCRIPTION"])
    # UIDs are stable: a second fetch names the same events.
    again = _events(Client().get(_feed_url(tenant.workspace)).content.decode())
    assert {e["UID"] for e in again} == {e["UID"] for e in events}


def test_escaping_and_folding(tenant, campaign):
    topic = "Beans, brew; and \\ backslash " + "ü" * 60
    body = "Line one\nLine two, with comma; and semicolon"
    PostFactory(
        campaign=campaign,
        status=PostStatus.APPROVED,
        scheduled_at=WHEN,
        topic=topic,
        body=body,
    )
    text = Client().get(_feed_url(tenant.workspace)).content.decode()
    for raw in text.split("\r\n"):
        assert len(raw.encode("utf-8")) <= 75, raw
    (event,) = _events(text)
    assert event["SUMMARY"].startswith("Beans\\, brew\\; and \\\\ backslash")
    assert _unescape(event["SUMMARY"]) == topic
    description = _unescape(event["DESCRIPTION"])
    assert description.endswith(body)
    assert "\\n" in event["DESCRIPTION"]


def test_fold_never_splits_a_character():
    line = "SUMMARY:" + "€" * 40
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_escape_text():
    assert ical.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_reset_link_revokes_the_old_url(tenant, web, campaign):
    old = _feed_url(tenant.workspace)
    assert Client().get(old).status_code == 200
    response = web(tenant.admin, tenant.workspace).post(reverse("calendar-feed-reset"))
    assert response.status_code == 302
    assert Client().get(old).status_code == 404
    new = _feed_url(tenant.workspace)
    assert new != old
    assert Client().get(new).status_code == 200


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.CLIENT])
def test_only_owners_and_admins_reset(tenant, web, role):
    old = _feed_url(tenant.workspace)
    response = web(tenant.person(role), tenant.workspace).post(
        reverse("calendar-feed-reset")
    )
    assert response.status_code == 403
    assert Client().get(old).status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_members_see_the_url_and_managers_the_reset_button(tenant, web, role):
    CampaignFactory(workspace=tenant.workspace)
    body = (
        web(tenant.person(role), tenant.workspace)
        .get(reverse("calendar"))
        .content.decode()
    )
    tenant.workspace.refresh_from_db()
    assert ical.feed_token(tenant.workspace) in body
    assert (reverse("calendar-feed-reset") in body) is (
        role in (Role.OWNER, Role.ADMIN)
    )


def test_tokens_never_show_foreign_posts(tenant, other_tenant, campaign):
    PostFactory(
        campaign=campaign, status=PostStatus.APPROVED, scheduled_at=WHEN, topic="Ours"
    )
    foreign = CampaignFactory(workspace=other_tenant.workspace)
    PostFactory(
        campaign=foreign, status=PostStatus.APPROVED, scheduled_at=WHEN, topic="Theirs"
    )
    ours = Client().get(_feed_url(tenant.workspace)).content.decode()
    theirs = Client().get(_feed_url(other_tenant.workspace)).content.decode()
    assert "Ours" in ours and "Theirs" not in ours
    assert "Theirs" in theirs and "Ours" not in theirs


@pytest.mark.parametrize(
    "token",
    ["nonsense", "eyJ3IjoxLCJ2IjoxfQ:forged", ""],
)
def test_bad_or_forged_tokens_are_404(tenant, token):
    url = f"/calendar/feed/{token}.ics"
    assert Client().get(url).status_code == 404


def test_a_token_signed_for_another_purpose_is_refused(tenant):
    from django.core import signing

    token = signing.Signer(salt="something-else").sign_object(
        {"w": tenant.workspace.pk, "v": tenant.workspace.calendar_feed_version}
    )
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 404
