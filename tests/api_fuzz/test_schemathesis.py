"""schemathesis against the real server: every operation of /api/schema/, all
phases (examples, coverage, fuzzing, stateful), a fixed seed and a bounded
number of examples.

The API runs in pytest-django's `live_server` (a real threaded HTTP server on
a free port, on the test database) with a seeded workspace; the schemathesis
CLI drives it with a write API key. The run must find no 5xx, no response
that breaks the schema, no undeclared status and no undeclared content type.
Throttling is raised for the run (a fuzzer is one very busy caller).

Time: 3 min on two cores shared with other work (2026-12: 96 operations,
about 4,800 requests, the coverage phase most of it); SCHEMATHESIS_MAX_EXAMPLES
raises the examples per operation for a deeper run by hand. The stateful phase
follows the links the schema declares from each create to the new object's
operations (core.api.schema_hooks.link_created_objects) and those
schemathesis infers, bounded by tests/api_fuzz/schemathesis.toml (2026-12: 31
scenarios in 21 s). No operation is excluded.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.models import PostStatus
from connections.models import Network
from publishing import delivery
from tests.factories import (
    BrandProfileFactory,
    CampaignFactory,
    ConnectedAccountFactory,
    PostFactory,
    WorkspaceFactory,
    api_key,
    member,
)
from workspaces.models import ApiKeyScope, Role

SEED = 20261207
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "2"))
CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
]
# Deliberately left out, each with its reason:
EXCLUDED_OPERATIONS: dict[str, str] = {}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(660)]


def _seed() -> str:
    """A workspace with something of every kind, and a write key for it."""
    ws = WorkspaceFactory(slug="fuzz")
    member(ws, Role.OWNER)
    account = ConnectedAccountFactory(workspace=ws, network=Network.MASTODON)
    BrandProfileFactory(workspace=ws)
    campaign = CampaignFactory(workspace=ws, pillars=[("Tips", 2)])
    post = PostFactory(campaign=campaign, accounts=[account])
    post.scheduled_at = timezone.now() + timedelta(hours=2)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    delivery.publication_create_for_post(post)
    PostFactory(campaign=campaign, accounts=[account])  # a draft
    secret, _ = api_key(ws, ApiKeyScope.WRITE)
    return secret


def _st_command(url: str, secret: str, report_dir: Path) -> list[str]:
    """The `st run` line: every phase, a fixed seed and example count (so a
    failure reproduces), the write key on every call, a JUnit report."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/api/schema/?format=json",
        "--url",
        url,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        ",".join(CHECKS),
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--continue-on-failure",
        "--max-failures",
        "50",
        "--request-timeout",
        "20",
        "--workers",
        "2",
        "--no-color",
        "--header",
        f"Authorization: Bearer {secret}",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    for operation in EXCLUDED_OPERATIONS:
        command += ["--exclude-operation-id", operation]
    return command


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, settings, monkeypatch, tmp_path: Path
) -> None:
    # A fuzzer is one very busy caller, and it sends bad keys on purpose.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"caller": "1000000/minute"},
    }
    # Checks that send bad credentials would otherwise trip the per-address
    # bad-key back-off (workspaces.signin_throttle) and turn the run into 429s.
    settings.API_KEY_FREE_FAILURES = 1_000_000
    settings.SIGNIN_ADDRESS_FREE_FAILURES = 1_000_000
    # Thousands of expected 4xx would each write a warning line: time, not news
    # (a 5xx still fails the run).
    monkeypatch.setattr(logging.getLogger("django.request"), "level", logging.ERROR)
    secret = _seed()
    command = _st_command(live_server.url, secret, tmp_path)
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=tmp_path,  # its example database (.schemathesis/) goes there
    )
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    failures = output[output.find("= FAILURES =") :]
    assert result.returncode == 0, failures[:20000] or output[-20000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅  {phase}" in output, output[:3000]
    # The stateful phase followed the schema's own links (create, then act on
    # the new object: core.api.schema_hooks.link_created_objects).
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    assert links, output[:3000]
    assert int(links[1]) >= 1 and int(links[2]) > 400, links[0]
