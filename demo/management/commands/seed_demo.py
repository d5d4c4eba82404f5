"""`manage.py seed_demo`: a demo agency to click through, created idempotently.

Everything goes through `campaigns.services`, so the demo data obeys the same
rules as data made in the UI. Running it again finds what exists and changes
nothing; the login it prints stays the same (the password is kept in
var/demo_password unless DEMO_PASSWORD is set).

Each part's sample data is one step (tenancy, a campaign, the demo inbox); to
add one, write a function
`seed_<thing>(demo: Demo, out: Callable[[str], None]) -> None` that looks up
before it creates, and append it to `SEED_STEPS`.

It lives in the demo app, the top layer: no other app imports the demo.
`run_all` asks this command by name for the login of a seeded demo (the
`sign_in` option of `call_command`, not one of the command line).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaigns import services
from campaigns.models import BrandProfile, Campaign, CampaignStatus, Objective
from campaigns.services.campaigns import Cadence, PillarSpec
from connections.models import ChannelAccount
from demo.seed import seed_demo_inbox
from workflow.planner import plan_campaign
from workspaces.models import Organization, Role, User, Workspace
from workspaces.services.tenancy import (
    membership_set,
    organization_create,
    workspace_create,
)

DEMO_EMAIL = "demo@adloop.local"
ORGANIZATION = {"name": "Demo Agency", "slug": "demo-agency"}
WORKSPACES = [
    {"slug": "demo", "name": "Demo Coffee Roasters", "time_zone": "Europe/Berlin"},
    {"slug": "demo-bikes", "name": "Demo Bike Works", "time_zone": "Europe/Berlin"},
]
# (email, first name, last name, role) in the `demo` workspace.
PEOPLE = [
    ("editor@adloop.local", "Mara", "Lindqvist", Role.EDITOR),
    ("reviewer@adloop.local", "Jonas", "Weber", Role.REVIEWER),
    ("client@adloop.local", "Priya", "Shah", Role.CLIENT),
]


@dataclass
class Demo:
    """What the steps so far have made, for the steps after them."""

    password: str
    organization: Organization | None = None
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    campaign: Campaign | None = None

    @property
    def owner(self) -> User:
        return self.users[DEMO_EMAIL]


def demo_password(var_dir: Path) -> str:
    """DEMO_PASSWORD, else the one generated into var/demo_password on first use."""
    from_env = os.environ.get("DEMO_PASSWORD", "").strip()
    if from_env:
        return from_env
    path = var_dir / "demo_password"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 from the start: no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    path.chmod(0o600)
    return password


def saved_demo_password(var_dir: Path) -> str | None:
    """The demo password `demo_password` would return, without making one."""
    from_env = os.environ.get("DEMO_PASSWORD", "").strip()
    if from_env:
        return from_env
    path = var_dir / "demo_password"
    return (path.read_text().strip() or None) if path.exists() else None


def seeded_sign_in(var_dir: Path) -> str:
    """`email / password` of the seeded demo owner, or "" before the demo is seeded.

    Seeded means the owner exists and is active, and a password is saved (or
    set in DEMO_PASSWORD); nothing is created.
    """
    password = saved_demo_password(var_dir)
    if not password:
        return ""
    if not User.objects.filter(email=DEMO_EMAIL, is_active=True).exists():
        return ""
    return f"{DEMO_EMAIL} / {password}"


def _person(email: str, first: str, last: str, password: str) -> User:
    """The user with this email, created if missing; password set only if it differs.

    Comparing first keeps a second run from rewriting the hash (a new salt would
    count as a change).
    """
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(
            email=email, password=password, first_name=first, last_name=last
        )
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def seed_tenancy(demo: Demo, out: Callable[[str], None]) -> None:
    """The agency, its two workspaces, the owner and one person per role."""
    demo.users[DEMO_EMAIL] = _person(DEMO_EMAIL, "Dana", "Demo", demo.password)
    org = Organization.objects.filter(slug=ORGANIZATION["slug"]).first()
    if org is None:
        org = organization_create(
            name=ORGANIZATION["name"], slug=ORGANIZATION["slug"], owner=demo.owner
        )
        out(f"created organization {org.name}")
    membership_set(user=demo.owner, organization=org, role=Role.OWNER)
    demo.organization = org

    for spec in WORKSPACES:
        ws = Workspace.objects.filter(slug=spec["slug"]).first()
        if ws is None:
            ws = workspace_create(
                organization=org,
                name=spec["name"],
                slug=spec["slug"],
                time_zone=spec["time_zone"],
            )
            out(f"created workspace {ws.name} ({ws.slug})")
        elif ws.organization_id != org.pk:
            raise CommandError(
                f"Workspace slug {spec['slug']!r} belongs to another organization "
                f"({ws.organization}); the demo needs it."
            )
        demo.workspaces[spec["slug"]] = ws

    for email, first, last, role in PEOPLE:
        user = _person(email, first, last, demo.password)
        membership_set(
            user=user, organization=org, workspace=demo.workspaces["demo"], role=role
        )
        demo.users[email] = user
    # Sign-in opens the workspace with the campaign (the owner's last used one
    # once they switch; until then this one, not the empty one first by name).
    if demo.owner.last_workspace_id is None:
        User.objects.filter(pk=demo.owner.pk).update(
            last_workspace=demo.workspaces["demo"]
        )


# The `demo` workspace's social accounts: (network, display name, handle). They
# have no credentials ("planning only"): the planner plans for them, nothing is
# sent. The channel that really delivers is the demo inbox's webhook
# (demo/seed.py).
DEMO_ACCOUNTS = [
    ("mastodon", "Demo Coffee on Mastodon", "@democoffee@mastodon.social"),
    ("bluesky", "Demo Coffee on Bluesky", "@democoffee.bsky.social"),
    ("linkedin", "Demo Coffee Roasters", "demo-coffee-roasters"),
]
DEMO_CADENCE = {"mastodon": 4, "bluesky": 3, "linkedin": 2}  # posts per week
DEMO_BRAND = {
    "name": "Demo Coffee Roasters",
    "description": "A small roastery in Berlin selling single-origin beans online.",
    "voice": (
        "Warm and curious, never snobbish. We explain the craft in plain words, "
        "credit the farmers by name and invite people to try things at home."
    ),
    "tone": ["friendly", "expert", "playful"],
    "audience": "Home baristas and office coffee lovers in Germany and Austria.",
    "languages": ["en", "de"],
    "do_words": ["fresh roast", "traceable", "brew at home"],
    "dont_words": ["cheap", "best in the world"],
    "required_hashtags": ["#DemoCoffee"],
    "default_cta": "Order a fresh bag at democoffee.example",
    "colours": ["#4b2e1e", "#f2e6d8"],
}
# A neutral name: the campaign runs from the day of the seed, whatever the season.
DEMO_CAMPAIGN = "Huila espresso launch"
DEMO_BRIEF = (
    "Launch our new single-origin espresso from Huila, Colombia to home baristas. "
    "Show the roasting craft, the farmers behind the beans and how to brew it at "
    "home with a moka pot or an espresso machine. Launch offer: free shipping on "
    "the first bag."
)
DEMO_PILLARS = [
    (
        "Roasting craft",
        3,
        "Small-batch roasting, cupping sessions and how we choose green beans.",
    ),
    (
        "Farmers and origin",
        2,
        "The farmers of Huila, harvest stories and traceable lots.",
    ),
    (
        "Brew at home",
        2,
        "Moka pot recipes, espresso machine tips and grinder settings for home "
        "baristas.",
    ),
]


def seed_campaign(demo: Demo, out: Callable[[str], None]) -> None:
    """Three channel accounts, a brand and a six-week campaign planned offline.

    The plan is made here, synchronously (no worker needed), once: a campaign
    that already has posts is left as it is.
    """
    ws = demo.workspaces["demo"]
    accounts = []
    for network, name, handle in DEMO_ACCOUNTS:
        account, created = ChannelAccount.objects.get_or_create(
            workspace=ws, network=network, name=name, defaults={"handle": handle}
        )
        if created:
            out(f"created channel account {account}")
        accounts.append(account)

    brand = BrandProfile.objects.filter(workspace=ws, name=DEMO_BRAND["name"]).first()
    if brand is None:
        brand = services.brands.brand_create(
            workspace=ws, by=demo.owner, data=DEMO_BRAND
        )
        out(f"created brand {brand.name}")

    campaign = Campaign.objects.filter(workspace=ws, name=DEMO_CAMPAIGN).first()
    if campaign is None:
        start = datetime.now(ZoneInfo(ws.time_zone)).date()
        campaign = services.campaigns.campaign_create(
            workspace=ws,
            by=demo.owner,
            data={
                "name": DEMO_CAMPAIGN,
                "brand": brand,
                "objective": Objective.AWARENESS,
                # It runs from today and has a post going out: active.
                "status": CampaignStatus.ACTIVE,
                "brief": DEMO_BRIEF,
                "start_date": start,
                "end_date": start + timedelta(weeks=6, days=-1),
                "time_zone": ws.time_zone,
                "kpi_targets": {"clicks": 500, "engagement_rate": 0.04},
                "min_gap_minutes": 180,
            },
            cadences=[Cadence(a, DEMO_CADENCE[a.network]) for a in accounts],
            pillars=[PillarSpec(n, w, d) for n, w, d in DEMO_PILLARS],
        )
        out(f"created campaign {campaign.name} ({campaign.start_date} for 6 weeks)")
    if not campaign.posts.exists():
        result = plan_campaign(campaign)
        out(f"planned {result.created} draft posts for {campaign.name} (offline)")
    demo.campaign = campaign


# Each step takes what the earlier ones made. Campaigns and posts: append here.
SEED_STEPS: list[Callable[[Demo, Callable[[str], None]], None]] = [
    seed_tenancy,
    seed_campaign,
    seed_demo_inbox,
]


class Command(BaseCommand):
    help = "Create (or find) the demo agency, workspaces and people; print the login."
    # Through call_command only: `run_all` reads the login for its ready line
    # this way, by command name, because no other app may import the demo.
    stealth_options = ("sign_in",)

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("sign_in"):
            self.stdout.write(seeded_sign_in(Path(settings.VAR_DIR)))
            return
        demo = Demo(password=demo_password(Path(settings.VAR_DIR)))
        with transaction.atomic():
            for step in SEED_STEPS:
                step(demo, self.stderr.write)
        # No URL here: nothing listens yet. `run_all` prints it with the login
        # once the web process answers (bin/run keeps only that one).
        self.stdout.write(
            "\nAdLoop demo is ready.\n"
            f"  Email:    {DEMO_EMAIL}\n"
            f"  Password: {demo.password}\n"
            "  Also (same password): "
            + ", ".join(f"{email} ({role})" for email, _, _, role in PEOPLE)
        )
