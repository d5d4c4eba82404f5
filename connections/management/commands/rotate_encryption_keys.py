"""`manage.py rotate_encryption_keys`: re-encrypt every encrypted value with the
newest key of FIELD_ENCRYPTION_KEY.

Rotation: put the new key first (`FIELD_ENCRYPTION_KEY=new,old`), deploy, run
this command, then remove the old key. Every `EncryptedJSONField` of every model
is covered. Rows are read in primary-key batches, each batch in one transaction;
a value already on the newest key is left alone, so the command is idempotent and
safe to re-run after an interruption. A row is rewritten only if its ciphertext
is still the one read (a conditional UPDATE), so a concurrent save is never
overwritten. A value that cannot be decrypted is counted and named by primary
key (never by content); the command then exits non-zero, after finishing the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from core import crypto
from core.fields import Ciphertext, EncryptedJSONField, encrypted_fields


@dataclass
class Counts:
    scanned: int = 0
    rotated: int = 0
    current: int = 0
    changed_meanwhile: int = 0
    failed: int = 0


def _rotate_field(
    field: EncryptedJSONField[Any, Any],
    *,
    batch_size: int,
    dry_run: bool,
    failed_pks: list[Any],
) -> Counts:
    model = field.model
    ring = crypto.keyring()
    raw = Cast(field.name, models.TextField())
    rows = (
        model._base_manager.filter(**{f"{field.name}__isnull": False})
        .alias(_raw=raw)
        .order_by("pk")
    )
    counts = Counts()
    last_pk: Any = None
    while True:
        page = rows if last_pk is None else rows.filter(pk__gt=last_pk)
        batch = list(page.annotate(_token=raw).values_list("pk", "_token")[:batch_size])
        if not batch:
            return counts
        last_pk = batch[-1][0]
        with transaction.atomic():
            for pk, token in batch:
                counts.scanned += 1
                try:
                    if crypto.token_key_id(token) == ring.current.key_id:
                        ring.decrypt(token, aad=field.aad)  # proves it still reads
                        counts.current += 1
                        continue
                    plaintext = ring.decrypt(token, aad=field.aad)
                except crypto.DecryptionError:
                    counts.failed += 1
                    failed_pks.append(pk)
                    continue
                if dry_run:
                    counts.rotated += 1
                    continue
                fresh = Ciphertext(ring.encrypt(plaintext, aad=field.aad))
                updated = (
                    model._base_manager.filter(pk=pk)
                    .alias(_raw=raw)
                    .filter(_raw=token)
                    .update(**{field.name: fresh})
                )
                if updated:
                    counts.rotated += 1
                else:  # saved by someone else since we read it: on the newest key
                    counts.changed_meanwhile += 1


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (channel credentials, OAuth state, "
        "Mastodon apps) with the newest key of FIELD_ENCRYPTION_KEY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows per batch and transaction (default 500).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted; write nothing.",
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **opts: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        ring = crypto.keyring()
        self.stdout.write(
            f"Newest key: {ring.current.key_id}; also reading: "
            f"{', '.join(ring.key_ids[1:]) or 'none'}"
            + (" (dry run: nothing is written)" if dry_run else "")
        )
        total = Counts()
        failures: list[str] = []
        for field in encrypted_fields():
            failed_pks: list[Any] = []
            counts = _rotate_field(
                field, batch_size=batch_size, dry_run=dry_run, failed_pks=failed_pks
            )
            verb = "to re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(
                f"{field.aad}: {counts.scanned} scanned, {counts.rotated} {verb}, "
                f"{counts.current} already current, "
                f"{counts.changed_meanwhile} changed meanwhile, "
                f"{counts.failed} failed"
            )
            for name in ("scanned", "rotated", "current", "changed_meanwhile"):
                setattr(total, name, getattr(total, name) + getattr(counts, name))
            total.failed += counts.failed
            if failed_pks:
                shown = ", ".join(str(pk) for pk in failed_pks[:20])
                more = (
                    f" and {len(failed_pks) - 20} more" if len(failed_pks) > 20 else ""
                )
                failures.append(f"{field.aad} pk {shown}{more}")
        self.stdout.write(
            f"Total: {total.scanned} scanned, {total.rotated} "
            f"{'to re-encrypt' if dry_run else 're-encrypted'}, "
            f"{total.current} already current, {total.failed} failed"
        )
        if failures:
            raise CommandError(
                "Some values could not be decrypted with any configured key "
                "(add the missing key after the newest and re-run): "
                + "; ".join(failures)
            )
