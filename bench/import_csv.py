"""How fast the CSV import is, against making the same posts one at a time.

    .venv/bin/python bench/import_csv.py [--rows 10000] [--naive-rows 1000]

Runs on a throwaway SQLite database in a temporary folder (migrated here), or on
DATABASE_URL when it is set (a workspace of its own, deleted at the end). Times
`campaigns.services.imports.posts_import` on one 10,000-row file, then a loop of
`campaigns.services.posts.post_create` (one post, its account links and its
history row per call) on 1,000 rows of the same shape, and prints rows per
second for both and their ratio; the figure is the last line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the functions import after django.setup()
    from campaigns.models import Campaign
    from connections.models import ChannelAccount
    from workspaces.models import Organization, User

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(tmp: Path) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(32))
    os.environ["ADLOOP_VAR_DIR"] = str(tmp)
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    # One log line per post would drown the figures (both paths log the same way).
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # One process with DEBUG off: say so, as production settings require
    # (without these two, start-up stops asking for REDIS_URL and EMAIL_HOST).
    os.environ.setdefault("ALLOW_LOCAL_CACHE", "true")
    os.environ.setdefault("EMAIL_DISABLED", "true")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"].split("://", 1)[0]


def _csv(rows: int, accounts: str) -> str:
    body = "Light roasts keep the origin's fruit; here is how we do it."
    lines = ["campaign,topic,angle,body,scheduled_at,accounts,pillar,notes"]
    for i in range(rows):
        lines.append(
            f'Bench,Topic {i},Angle {i},"{body}",'
            f"2030-05-{2 + i % 27:02d} {9 + i % 8:02d}:15,{accounts},Product,bench"
        )
    return "\n".join(lines) + "\n"


def _world() -> tuple[Organization, User, Campaign, list[ChannelAccount]]:
    """An organization with one workspace, an editor, two accounts and a campaign."""
    from campaigns import services
    from connections.models import ChannelAccount, Network
    from workspaces.models import Membership, Organization, Role, User, Workspace

    tag = secrets.token_hex(4)
    org = Organization.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    workspace = Workspace.objects.create(
        organization=org, name=f"Bench {tag}", slug=f"bench-{tag}"
    )
    user = User.objects.create_user(email=f"bench-{tag}@example.test")
    Membership.objects.create(
        user=user, organization=org, workspace=workspace, role=Role.EDITOR
    )
    accounts = [
        ChannelAccount.objects.create(
            workspace=workspace, network=Network.MASTODON, name=f"Bench {n}"
        )
        for n in (1, 2)
    ]
    brand = services.brands.brand_create(
        workspace=workspace, by=user, data={"name": "Bench"}
    )
    campaign = services.campaigns.campaign_create(
        workspace=workspace,
        by=user,
        data={
            "brand": brand,
            "name": "Bench",
            "start_date": date(2030, 3, 1),
            "end_date": date(2030, 11, 30),
            "time_zone": "Europe/Berlin",
        },
        cadences=[services.campaigns.Cadence(a, 3) for a in accounts],
        pillars=[services.campaigns.PillarSpec("Product", 2)],
    )
    return org, user, campaign, accounts


def _row_by_row(
    campaign: Campaign, user: User, accounts: list[ChannelAccount], rows: int
) -> float:
    """Seconds to create `rows` posts one `post_create` at a time."""
    from campaigns import services
    from core.timezones import local_to_utc

    pillar = campaign.pillars.get()
    started = time.perf_counter()
    for i in range(rows):
        when = datetime(2030, 5, 2 + i % 27, 9 + i % 8, 15)
        services.posts.post_create(
            campaign=campaign,
            by=user,
            data={
                "topic": f"Topic {i}",
                "angle": f"Angle {i}",
                "body": "Light roasts keep the origin's fruit.",
                "scheduled_at": local_to_utc(when, campaign.time_zone),
                "accounts": accounts,
                "pillar": pillar,
                "notes": "bench",
            },
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=1_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="adloop-bench-") as tmp:
        engine = _setup(Path(tmp))

        from campaigns.models import Campaign
        from campaigns.services import imports

        org, user, campaign, accounts = _world()
        workspace = campaign.workspace
        text = _csv(args.rows, "|".join(a.name for a in accounts))
        try:
            started = time.perf_counter()
            result = imports.posts_import(workspace=workspace, by=user, csv_text=text)
            bulk_s = time.perf_counter() - started
            assert result.created == args.rows
            naive_s = _row_by_row(campaign, user, accounts, args.naive_rows)
        finally:
            Campaign.objects.filter(workspace=workspace).delete()
            org.delete()
            user.delete()

    bulk_rate, naive_rate = args.rows / bulk_s, args.naive_rows / naive_s
    size_mb = len(text.encode()) / 1e6
    print(f"database: {engine}; file: {args.rows} rows, {size_mb:.1f} MB")
    print(f"row by row (post_create): {args.naive_rows} rows in {naive_s:.2f} s")
    print(f"CSV import (posts_import): {args.rows} rows in {bulk_s:.2f} s")
    print(
        f"import {bulk_rate:,.0f} rows/s vs row by row {naive_rate:,.0f} rows/s: "
        f"{bulk_rate / naive_rate:.1f}x faster"
    )


if __name__ == "__main__":
    main()
