"""CSV import of posts: the whole file is checked first, then every row goes in
(one transaction) or none does.

The file is UTF-8 (a byte-order mark is fine), comma-separated, with a header
row. Column names are case-insensitive and may come in any order; unknown
columns are an error (a typo must not drop data silently).

    campaign      campaign id or exact name, in the workspace. Required unless
                  the request names the campaign (`?campaign=`); a value in the
                  row wins over the request's.
    topic         required, 300 characters at most.
    angle         300 characters at most.
    body          draft copy.
    link          a full address starting with https:// (or http://).
    scheduled_at  empty (not on the calendar yet), ISO 8601 with an offset
                  (`2026-03-02T09:00:00+01:00`, `...Z`), or a local wall-clock
                  time `YYYY-MM-DD HH:MM` in the campaign's time zone. A local
                  time in the skipped hour of a spring-forward night is refused,
                  and so is one in the repeated hour of a fall-back night (give
                  an offset to say which of the two). The day must be within
                  the campaign and not a blackout date.
    accounts      channel-account ids or names separated by `|`
                  (`12|Contoso on Mastodon`); empty means the campaign's
                  channels. When the campaign has channels, only those.
    pillar        a pillar name of the campaign (case-insensitive).
    notes         internal notes.

Errors are reported as `{line, column, message}` with the file's line numbers
(the header is line 1; a quoted value spanning lines counts from the line where
its row starts). Imported posts are drafts with origin `import`; each gets a
`create` history row naming the caller, and one `post_status_changed` signal
after the commit, exactly as a post made one at a time.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Campaign, Pillar, Post, PostOrigin, PostStatus
from campaigns.services.brands import require
from campaigns.services.posts import check_time
from connections.models import ChannelAccount
from core.timezones import Ambiguous, Nonexistent, local_to_utc
from workspaces.models import User, Workspace
from workspaces.permissions import Action

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger(__name__)

COLUMNS = (
    "campaign",
    "topic",
    "angle",
    "body",
    "link",
    "scheduled_at",
    "accounts",
    "pillar",
    "notes",
)
MAX_ROWS = 20_000
# Enough to fix a file by; the count says how many there were in all.
MAX_REPORTED_ERRORS = 1_000
BATCH = 2_000


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportInvalid(ValidationError):
    """The file has errors; nothing was imported.

    Reads like any service `ValidationError` (`fields = {"rows": ["line 3,
    scheduled_at: ..."]}`); `rows` keeps the structured form for the API.
    """

    def __init__(self, errors: list[RowError]) -> None:
        self.total = len(errors)
        self.rows = [e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]]
        super().__init__(
            {
                "rows": [
                    f"line {e.line}, {e.column}: {e.message}"
                    for e in errors[:MAX_REPORTED_ERRORS]
                ]
            }
        )


@dataclass
class ImportResult:
    created: int
    post_ids: list[int] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    post: Post
    account_ids: list[int]


class _Context:
    """Everything a row may refer to, loaded once for the whole file."""

    def __init__(self, workspace: Workspace, default: Campaign | None) -> None:
        self.default = default
        campaigns = list(Campaign.objects.filter(workspace=workspace))
        self.campaign_by_id = {c.pk: c for c in campaigns}
        self.campaign_by_name = {c.name.casefold(): c for c in campaigns}
        self.pillars: dict[tuple[int, str], Pillar] = {
            (p.campaign_id, p.name.casefold()): p
            for p in Pillar.objects.filter(campaign__workspace=workspace)
        }
        accounts = list(ChannelAccount.objects.filter(workspace=workspace))
        self.account_by_id = {a.pk: a for a in accounts}
        self.accounts_by_name: dict[str, list[ChannelAccount]] = {}
        for account in accounts:
            self.accounts_by_name.setdefault(account.name.casefold(), []).append(
                account
            )
        self.cadences: dict[int, list[int]] = {}
        for campaign_id, account_id in Campaign.channels.through.objects.filter(
            campaign__workspace=workspace
        ).values_list("campaign_id", "account_id"):
            self.cadences.setdefault(campaign_id, []).append(account_id)

    def campaign(self, value: str) -> Campaign | None:
        if value.isdigit() and int(value) in self.campaign_by_id:
            return self.campaign_by_id[int(value)]
        return self.campaign_by_name.get(value.casefold())


def _when(value: str, campaign: Campaign) -> datetime:
    """An offset time as is; a wall-clock time read in the campaign's zone."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValidationError(
            "Give an ISO 8601 time with its offset (2026-03-02T09:00:00+01:00) "
            "or a local time YYYY-MM-DD HH:MM."
        ) from None
    if timezone.is_aware(parsed):
        return parsed
    return local_to_utc(
        parsed,
        campaign.time_zone,
        nonexistent=Nonexistent.RAISE,
        ambiguous=Ambiguous.RAISE,
    )


_Fail = Callable[[str, str], None]  # records a row's error: (column, message)


def _row(
    line: int,
    values: dict[str, str],
    ctx: _Context,
    base: dict[str, Any],
    errors: list[RowError],
) -> _Row | None:
    def fail(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    before = len(errors)
    name = values.get("campaign", "")
    campaign = ctx.campaign(name) if name else ctx.default
    if campaign is None:
        fail(
            "campaign",
            f"No campaign '{name}' in this workspace."
            if name
            else "Name the campaign (a column or ?campaign=).",
        )
    topic, link = values.get("topic", ""), values.get("link", "")
    _check_texts(topic, values.get("angle", ""), link, fail)
    if campaign is None:
        return None

    when = _scheduled(values.get("scheduled_at", ""), campaign, fail)

    pillar = None
    if raw := values.get("pillar", ""):
        pillar = ctx.pillars.get((campaign.pk, raw.casefold()))
        if pillar is None:
            fail("pillar", f"No pillar '{raw}' in campaign '{campaign.name}'.")

    channels = ctx.cadences.get(campaign.pk, [])
    account_ids = _accounts(values.get("accounts", ""), campaign, channels, ctx, fail)

    if len(errors) > before:
        return None
    post = Post(
        # Ids, not instances: setting a relation through its descriptor costs
        # more than the rest of the row at 10,000 rows.
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.pk,
        pillar_id=pillar.pk if pillar is not None else None,
        topic=topic,
        angle=values.get("angle", ""),
        body=values.get("body", ""),
        link=link,
        notes=values.get("notes", ""),
        scheduled_at=when,
        **base,
    )
    return _Row(line, post, account_ids or list(channels))


def _check_texts(topic: str, angle: str, link: str, fail: _Fail) -> None:
    """The row's topic (required), angle and link, against the post's limits."""
    if not topic:
        fail("topic", "A post needs a topic.")
    elif len(topic) > 300:
        fail("topic", "300 characters at most.")
    if len(angle) > 300:
        fail("angle", "300 characters at most.")
    if link and not link.startswith(("https://", "http://")):
        fail("link", "Give a full web address starting with https://.")
    elif len(link) > 1000:
        fail("link", "1000 characters at most.")


def _scheduled(raw: str, campaign: Campaign, fail: _Fail) -> datetime | None:
    """The row's time (None when it gives none), checked like a post's."""
    if not raw:
        return None
    try:
        when = _when(raw, campaign)
    except ValidationError as exc:
        fail("scheduled_at", exc.messages[0])
        return None
    problems: dict[str, list[str]] = {}
    check_time(campaign, when, problems)
    for message in problems.get("scheduled_at", []):
        fail("scheduled_at", message)
    return when


def _accounts(
    raw: str, campaign: Campaign, channels: list[int], ctx: _Context, fail: _Fail
) -> list[int]:
    """Ids of the accounts the row names (only the campaign's channels, if any)."""
    account_ids: list[int] = []
    for ref in filter(None, (r.strip() for r in raw.split("|"))):
        if ref.isdigit() and int(ref) in ctx.account_by_id:
            account = ctx.account_by_id[int(ref)]
        else:
            found = ctx.accounts_by_name.get(ref.casefold(), [])
            if len(found) > 1:
                fail("accounts", f"Several accounts are called '{ref}'; use its id.")
                continue
            if not found:
                fail("accounts", f"No channel account '{ref}' in this workspace.")
                continue
            account = found[0]
        if channels and account.pk not in channels:
            fail(
                "accounts",
                f"{account} is not a channel of the campaign “{campaign.name}”: "
                "add it to the campaign's channels first, or name another.",
            )
        elif account.pk not in account_ids:
            account_ids.append(account.pk)
    return account_ids


def _read(
    csv_text: str, has_default: bool
) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The rows as (line, {column: stripped value}), or the file's own errors."""
    reader = csv.reader(io.StringIO(csv_text, newline=""))
    errors: list[RowError] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [RowError(1, "", f"Not a readable CSV file: {exc}.")]
    if not header or not any(h.strip() for h in header):
        return [], [RowError(1, "", "The file is empty; it needs a header row.")]
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in COLUMNS:
            errors.append(
                RowError(1, name, f"Unknown column; use {', '.join(COLUMNS)}.")
            )
    for name in {n for n in names if names.count(n) > 1}:
        errors.append(RowError(1, name, "This column appears twice."))
    if "topic" not in names:
        errors.append(RowError(1, "topic", "The file needs a topic column."))
    if "campaign" not in names and not has_default:
        errors.append(
            RowError(1, "campaign", "Add a campaign column or name it with ?campaign=.")
        )
    if errors:
        return [], errors

    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                errors.append(
                    RowError(
                        line,
                        "",
                        f"{len(cells)} values for {len(names)} columns.",
                    )
                )
                continue
            rows.append(
                (line, {n: c.strip() for n, c in zip(names, cells, strict=True)})
            )
            if len(rows) > MAX_ROWS:
                return [], [RowError(line, "", f"{MAX_ROWS} rows at most per file.")]
    except csv.Error as exc:
        errors.append(RowError(start, "", f"Not readable as CSV: {exc}."))
    if not rows and not errors:
        errors.append(RowError(2, "", "The file has a header but no rows."))
    return rows, errors


def posts_import(
    *,
    workspace: Workspace,
    by: Principal,
    csv_text: str,
    campaign: Campaign | None = None,
) -> ImportResult:
    """Import every row of `csv_text` as a draft post of `workspace`, or none.

    `campaign`, when given, is the campaign of rows without one. Raises
    `PermissionDenied` without edit_content, `ImportInvalid` listing every bad
    row (nothing is written then).
    """
    require(by, Action.EDIT_CONTENT, workspace)
    if campaign is not None and campaign.workspace_id != workspace.pk:
        raise ValidationError({"campaign": ["No such campaign in this workspace."]})
    rows, errors = _read(csv_text, has_default=campaign is not None)
    if errors:
        raise ImportInvalid(errors)

    now = timezone.now()
    user = by if isinstance(by, User) else None
    base = {
        "status": PostStatus.DRAFT,
        "origin": PostOrigin.IMPORT,
        "owner_id": user.pk if user else None,
        "created_by_id": user.pk if user else None,
        "touched_at": now,
    }
    ctx = _Context(workspace, campaign)
    valid = [r for line, values in rows if (r := _row(line, values, ctx, base, errors))]
    if errors:
        raise ImportInvalid(errors)

    through = Post.accounts.through
    with transaction.atomic():
        posts = Post.objects.bulk_create([r.post for r in valid], batch_size=BATCH)
        through.objects.bulk_create(
            [
                through(post_id=r.post.pk, channelaccount_id=account_id)
                for r in valid
                for account_id in r.account_ids
            ],
            batch_size=BATCH * 5,
        )
        lifecycle.record_creations(posts, by=by, batch_size=BATCH)
    logger.info("imported %d posts into workspace %s", len(posts), workspace.pk)
    return ImportResult(created=len(posts), post_ids=[p.pk for p in posts])
