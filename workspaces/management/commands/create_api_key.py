"""`manage.py create_api_key <workspace>`: mint a REST API key from a shell.

The workspace is named by its slug or its id, as everywhere in the API.

The key alone goes to stdout, so `KEY=$(manage.py create_api_key demo)` works;
everything meant for a person goes to stderr. The key is shown this once: only
its hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workspaces.models import ApiKeyScope, Workspace
from workspaces.selectors import find_workspace
from workspaces.services.api_keys import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a workspace (or its organization); print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="Workspace slug or id, e.g. demo")
        parser.add_argument(
            "--scope",
            default=ApiKeyScope.READ.value,
            help="read (default) or write",
        )
        parser.add_argument(
            "--name", default="command line", help="A label to tell keys apart"
        )
        parser.add_argument(
            "--organization",
            action="store_true",
            help="Reach every workspace of the workspace's organization",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug, scope = options["workspace"], options["scope"]
        if scope not in ApiKeyScope.values:
            raise CommandError(
                f"Unknown scope {scope!r}: use one of {', '.join(ApiKeyScope.values)}."
            )
        workspace = find_workspace(
            slug, Workspace.objects.select_related("organization")
        )
        if workspace is None:
            known = ", ".join(
                Workspace.objects.order_by("slug").values_list("slug", flat=True)[:20]
            )
            raise CommandError(
                f"No workspace with slug {slug!r} (or that id). "
                f"Known: {known or 'none'}."
            )
        try:
            issued = api_key_create(
                organization=workspace.organization,
                workspace=None if options["organization"] else workspace,
                name=options["name"],
                scope=scope,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        reach = (
            f"every workspace of {workspace.organization}"
            if options["organization"]
            else f"workspace {workspace.slug}"
        )
        self.stderr.write(
            f"Created {scope} key {issued.api_key.name!r} "
            f"(prefix {issued.api_key.prefix}) for {reach}. "
            "It is shown once; store it now."
        )
        self.stdout.write(issued.secret)
