"""CSV import of posts: whole-file validation, errors per row, all or nothing,
bulk history and signals, and 10,000 rows in one request."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from campaigns.api import post_import
from campaigns.models import Post, PostOrigin, PostStatus, PostStatusChange
from campaigns.services import imports
from campaigns.signals import post_status_changed
from tests.factories import CampaignFactory, ChannelAccountFactory
from workspaces.models import ApiKeyScope

URL = "/api/v1/posts/import/"
HEADER = "campaign,topic,angle,scheduled_at,accounts,pillar,notes\n"


@pytest.fixture
def campaign(tenant):
    return CampaignFactory(
        workspace=tenant.workspace,
        name="Spring",
        start_date=date(2030, 3, 1),
        end_date=date(2030, 11, 30),
        time_zone="Europe/Berlin",
        channels=2,
        pillars=[("Product", 2), ("Team", 1)],
        blackout_dates=["2030-04-01"],
    )


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _post_csv(client, text: str, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.generic(
        "POST", f"{URL}?{query}" if query else URL, text.encode(), "text/csv"
    )


def test_rows_become_drafts_with_history_and_one_signal_each(
    tenant, campaign, user_client, django_capture_on_commit_callbacks
):
    account = campaign.cadences.first().account
    text = HEADER + (
        f"Spring,Light roast,Myth,2030-03-02 09:00,{account.name},product,n1\n"
        f"{campaign.pk},Meet the roaster,,2030-07-02T12:00:00+02:00,,,\n"
        "Spring,Unscheduled,,,,,\n"
    )
    seen: list[dict] = []

    def listener(sender, **kwargs):
        seen.append(kwargs)

    post_status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _post_csv(user_client(tenant.editor), text)
    finally:
        post_status_changed.disconnect(listener)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 3
    posts = list(Post.objects.filter(pk__in=body["post_ids"]).order_by("pk"))
    first, second, third = posts
    # 09:00 in Berlin in March (CET) is 08:00 UTC; July (CEST) stays as given.
    assert first.scheduled_at == datetime(2030, 3, 2, 8, 0, tzinfo=UTC)
    assert second.scheduled_at == datetime(2030, 7, 2, 10, 0, tzinfo=UTC)
    assert third.scheduled_at is None
    assert first.pillar.name == "Product" and first.notes == "n1"
    assert list(first.accounts.all()) == [account]
    assert second.accounts.count() == 2  # empty: the campaign's channels
    assert {(p.status, p.origin, p.created_by_id) for p in posts} == {
        (PostStatus.DRAFT, PostOrigin.IMPORT, tenant.editor.pk)
    }
    changes = PostStatusChange.objects.filter(post__in=posts)
    assert {(c.action, c.from_status, c.to_status, c.actor_id) for c in changes} == {
        ("create", "", "draft", tenant.editor.pk)
    }
    assert sorted(s["post_id"] for s in seen) == [p.pk for p in posts]
    by_post = {c.post_id: c.pk for c in changes}
    assert all(s["change_id"] == by_post[s["post_id"]] for s in seen)
    assert all(
        s.keys() - {"signal"}
        == {
            "post_id",
            "workspace_id",
            "from_status",
            "to_status",
            "action",
            "change_id",
        }
        for s in seen
    )


def test_multipart_upload_with_campaign_in_the_query(tenant, campaign, user_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "posts.csv", b"\xef\xbb\xbftopic\nOne\nTwo\n", content_type="text/csv"
    )
    response = user_client(tenant.editor).post(
        f"{URL}?campaign={campaign.pk}", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert Post.objects.filter(campaign=campaign).count() == 2


def test_every_bad_row_is_reported_and_nothing_is_imported(
    tenant, other_tenant, campaign, user_client
):
    foreign = ChannelAccountFactory(workspace=other_tenant.workspace, name="Theirs")
    text = HEADER + (
        "Spring,Fine,,2030-03-03 10:00,,,\n"  # line 2: valid
        "Spring,Naive gap,,2030-03-31 02:30,,,\n"  # line 3: skipped hour
        "Spring,Repeated,,2030-10-27 02:30,,,\n"  # line 4: repeated hour
        "Spring,Blackout,,2030-04-01T10:00:00+02:00,,,\n"  # line 5
        f"Spring,Foreign,,,{foreign.name},,\n"  # line 6
        "Spring,,,,,Pets,\n"  # line 7: no topic, unknown pillar
        "Autumn,Wrong campaign,,,,,\n"  # line 8
        "Spring,Bad time,,tomorrow,,,\n"  # line 9
    )
    response = _post_csv(user_client(tenant.editor), text)
    error = _error(response, 400)
    got = {(r["line"], r["column"]) for r in error["rows"]}
    assert got == {
        (3, "scheduled_at"),
        (4, "scheduled_at"),
        (5, "scheduled_at"),
        (6, "accounts"),
        (7, "topic"),
        (7, "pillar"),
        (8, "campaign"),
        (9, "scheduled_at"),
    }
    messages = {(r["line"], r["column"]): r["message"] for r in error["rows"]}
    assert "does not exist" in messages[(3, "scheduled_at")]
    assert "happens twice" in messages[(4, "scheduled_at")]
    assert "blackout" in messages[(5, "scheduled_at")]
    assert error["error_count"] == 8
    assert len(error["fields"]["rows"]) == 8
    assert not Post.objects.exists()
    assert not PostStatusChange.objects.exists()


def test_header_problems_are_line_one(tenant, campaign, user_client):
    response = _post_csv(user_client(tenant.editor), "topik,colour\nA,red\n")
    rows = _error(response, 400)["rows"]
    assert {(r["line"], r["column"]) for r in rows} == {
        (1, "topik"),
        (1, "colour"),
        (1, "topic"),
        (1, "campaign"),
    }


def test_ragged_row_names_its_line(tenant, campaign, user_client):
    text = 'topic,notes\nA,"two\nlines"\nB\n'
    response = _post_csv(user_client(tenant.editor), text, campaign=campaign.pk)
    assert [r["line"] for r in _error(response, 400)["rows"]] == [4]


def test_foreign_campaign_in_query_reads_as_no_such(tenant, other_tenant, user_client):
    theirs = CampaignFactory(workspace=other_tenant.workspace)
    response = _post_csv(user_client(tenant.owner), "topic\nA\n", campaign=theirs.pk)
    assert _error(response, 400)["fields"]["campaign"] == ["No such campaign."]
    response = _post_csv(
        user_client(tenant.owner),
        f"campaign,topic\n{theirs.pk},A\n",
        workspace=tenant.workspace.pk,
    )
    assert _error(response, 400)["rows"][0]["column"] == "campaign"
    assert not Post.objects.exists()


@pytest.mark.parametrize("who", ["reviewer", "client", "read key"])
def test_only_editors_and_write_keys_import(
    tenant, campaign, who, user_client, key_client
):
    client = (
        key_client(tenant.workspace, ApiKeyScope.READ)
        if who == "read key"
        else user_client(tenant.person(who))
    )
    _error(_post_csv(client, "topic\nA\n", campaign=campaign.pk), 403)
    assert not Post.objects.exists()


def test_write_key_import_records_the_key(tenant, campaign, key_client):
    client = key_client(tenant.workspace)
    response = _post_csv(client, "topic\nA\n", campaign=campaign.pk)
    assert response.status_code == 201, response.content
    change = PostStatusChange.objects.get()
    assert change.actor is None and change.actor_key is not None


def test_body_over_the_import_limit_is_413(tenant, campaign, user_client, monkeypatch):
    monkeypatch.setattr(post_import, "IMPORT_MAX_BYTES", 100)
    text = "topic\n" + "A topic\n" * 50
    response = _post_csv(user_client(tenant.editor), text, campaign=campaign.pk)
    assert _error(response, 413)["code"] == "request_too_large"


def test_not_utf8_is_a_file_error(tenant, campaign, user_client):
    response = user_client(tenant.editor).generic(
        "POST",
        f"{URL}?campaign={campaign.pk}",
        "topic\nCafé\n".encode("latin-1"),
        "text/csv",
    )
    assert "file" in _error(response, 400)["fields"]


def test_service_refuses_a_campaign_of_another_workspace(tenant, other_tenant):
    theirs = CampaignFactory(workspace=other_tenant.workspace)
    with pytest.raises(imports.ValidationError):
        imports.posts_import(
            workspace=tenant.workspace,
            by=tenant.editor,
            csv_text="topic\nA\n",
            campaign=theirs,
        )


def test_ten_thousand_rows_in_one_request(tenant, campaign, user_client):
    accounts = "|".join(c.account.name for c in campaign.cadences.all())
    body = "Light roasts keep the origin's fruit; here is how we do it."
    lines = [HEADER.strip() + ",body"]
    for i in range(10_000):
        day = 2 + i % 27
        lines.append(
            f"Spring,Topic {i},Angle {i},2030-05-{day:02d} {9 + i % 8:02d}:15,"
            f'{accounts},Product,Imported in bulk,"{body}"'
        )
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 1_000_000
    started = time.monotonic()
    response = _post_csv(user_client(tenant.editor), text)
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content[:2000]
    assert response.json()["created"] == 10_000
    assert Post.objects.count() == 10_000
    assert Post.accounts.through.objects.count() == 20_000
    assert PostStatusChange.objects.count() == 10_000
    assert elapsed < 20, elapsed


def test_an_account_off_the_campaign_says_how_to_fix_it(tenant, campaign, user_client):
    """The import follows the editor's rule (accounts are the campaign's
    channels) and its message says what to do, like the editor's does."""
    elsewhere = ChannelAccountFactory(workspace=tenant.workspace, name="Side blog")
    text = HEADER + f"Spring,Off the plan,,2030-03-03 10:00,{elsewhere.name},,\n"
    error = _error(_post_csv(user_client(tenant.editor), text), 400)
    [row] = error["rows"]
    assert (row["line"], row["column"]) == (2, "accounts")
    assert "not a channel of the campaign “Spring”" in row["message"]
    assert "add it to the campaign's channels first" in row["message"]
    assert not Post.objects.exists()
