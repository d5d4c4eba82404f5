"""Rows written before a migration are all there after it.

The base is the state of commit d36485b (the latest migration of each app then):
the schema a deployed AdLoop has before issue 11 moves models between modules
and apps. The test fills that state through the historical models (what a data
migration sees), migrates to today's heads, and reads every row back. Today
both states are the same, so it proves the harness; each model move adds its
migrations to the path and keeps these rows, or fails here.

It runs on the suite's database: PostgreSQL in CI (tests/testenv.py requires
it there), SQLite by hand when no server answers. It drops every table, so it
is marked `migration_test` (django-test-migrations' marker; `-m "not
migration_test"` leaves it out) and takes a transactional database.
Measured on the 2-core development machine under load (load average 3): the
test itself 7 to 11 s on PostgreSQL plus 1 to 2 s to flush after it, 5 s on
SQLite; creating the schema twice (the base, then the heads) is most of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from PIL import Image

# The latest migration of each of our apps at d36485b.
BASE = [
    ("campaigns", "0009_two_factor_and_personal_tokens"),
    ("channels", "0009_publication_lease"),
    ("content", "0004_asset_renditions_state"),
    ("demo", "0001_demo_delivery"),
]


def _heads() -> list[tuple[str, str]]:
    """The latest migration of every app now, ours and Django's."""
    return sorted(MigrationLoader(connection).graph.leaf_nodes())


def _png(media: Path, name: str) -> str:
    """A real image file: an ImageField reads its size when the row is saved."""
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 3), "saddlebrown").save(path)
    return name


def _fill(state: ProjectState, media: Path) -> dict[str, Any]:
    """A workspace with a campaign, two posts, an account, a publication, an asset."""
    model = state.apps.get_model
    when = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    organization = model("campaigns", "Organization").objects.create(
        name="Moved Roasters", slug="moved-roasters"
    )
    workspace = model("campaigns", "Workspace").objects.create(
        organization=organization, name="Moved", slug="moved"
    )
    brand = model("campaigns", "BrandProfile").objects.create(
        workspace=workspace, name="Moved Brand"
    )
    campaign = model("campaigns", "Campaign").objects.create(
        workspace=workspace,
        brand=brand,
        name="Spring beans",
        start_date=date(2025, 3, 1),
        end_date=date(2025, 3, 31),
        time_zone="Europe/Berlin",
        utm_campaign="spring-beans",
    )
    asset = model("content", "Asset").objects.create(
        workspace=workspace,
        file=_png(media, "assets/moved/beans.png"),
        thumbnail=_png(media, "assets/moved/beans-thumb.png"),
        checksum="a" * 64,
    )
    posts = [
        model("campaigns", "Post").objects.create(
            workspace=workspace, campaign=campaign, topic=topic, image=image
        )
        for topic, image in (("Roast day", asset), ("Cupping notes", None))
    ]
    account = model("channels", "ChannelAccount").objects.create(
        workspace=workspace, network="mastodon", name="Moved on Mastodon"
    )
    model("campaigns", "CampaignChannel").objects.create(
        campaign=campaign, account=account
    )
    publication = model("channels", "Publication").objects.create(
        workspace=workspace,
        post=posts[0],
        account=account,
        network="mastodon",
        due_at=when,
        next_attempt_at=when,
        idempotency_key="moved-roast-day-mastodon",
    )
    return {
        "workspace": workspace.pk,
        "campaign": campaign.pk,
        "posts": sorted(p.pk for p in posts),
        "account": account.pk,
        "publication": publication.pk,
        "asset": asset.pk,
    }


def test_rows_written_at_d36485b_survive_migrating_to_the_heads(
    migrator: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    before = migrator.apply_initial_migration(BASE)
    ids = _fill(before, tmp_path)

    after = migrator.apply_tested_migration(_heads())
    model = after.apps.get_model
    workspace = model("campaigns", "Workspace").objects.get(pk=ids["workspace"])
    assert (workspace.slug, workspace.organization.slug) == ("moved", "moved-roasters")
    campaign = model("campaigns", "Campaign").objects.get(pk=ids["campaign"])
    assert (campaign.workspace_id, campaign.brand.name) == (workspace.pk, "Moved Brand")
    posts = model("campaigns", "Post").objects.filter(campaign=campaign)
    assert sorted(p.pk for p in posts) == ids["posts"]
    assert {p.topic: p.image_id for p in posts} == {
        "Roast day": ids["asset"],
        "Cupping notes": None,
    }
    asset = model("content", "Asset").objects.get(pk=ids["asset"])
    assert (asset.workspace_id, asset.file.name) == (
        workspace.pk,
        "assets/moved/beans.png",
    )
    account = model("channels", "ChannelAccount").objects.get(pk=ids["account"])
    assert (account.workspace_id, account.network) == (workspace.pk, "mastodon")
    assert model("campaigns", "CampaignChannel").objects.get(
        campaign=campaign
    ).account_id == (account.pk)
    publication = model("channels", "Publication").objects.get(pk=ids["publication"])
    assert (publication.post_id, publication.account_id) == (
        ids["posts"][0],
        account.pk,
    )
    assert publication.idempotency_key == "moved-roast-day-mastodon"
    assert publication.due_at == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("app", [app for app, _ in BASE])
def test_the_base_is_a_migration_that_still_exists(app: str) -> None:
    """A squash or rename must keep the base reachable (or update BASE)."""
    names = dict(BASE)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert (app, names[app]) in loader.disk_migrations
