"""Shared fixtures: two tenants side by side, people in every role, API clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import testenv
from tests.factories import WorkspaceFactory, api_key, member
from tests.realservices import (  # noqa: F401 (fixtures, registered once for all)
    attach_worker_log,
    celery_worker,
    smtp_server,
)
from workspaces.models import ApiKeyScope, Role, User, Workspace


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    attach_worker_log(item, outcome.get_result())


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [
        f"adloop: database={testenv.SERVICES['database']} "
        f"broker={testenv.SERVICES['broker']} CI={testenv.CI}"
    ]
    if testenv.MISSING:
        lines.append(
            "adloop: not reachable, using fallbacks: " + ", ".join(testenv.MISSING)
        )
    return lines


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Sign-in and API-key failure counters live in the cache (local memory in
    # the suite): one test's bad passwords must not throttle the next test.
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is the point in production and pure cost here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Tenant:
    """A workspace with one person in each role."""

    workspace: Workspace
    owner: User
    admin: User
    editor: User
    reviewer: User
    client: User

    def person(self, role: str) -> User:
        return getattr(self, role)


def _tenant() -> Tenant:
    ws = WorkspaceFactory()
    return Tenant(
        workspace=ws,
        owner=member(ws, Role.OWNER),
        admin=member(ws, Role.ADMIN),
        editor=member(ws, Role.EDITOR),
        reviewer=member(ws, Role.REVIEWER),
        client=member(ws, Role.CLIENT),
    )


@pytest.fixture
def tenant(db) -> Tenant:
    return _tenant()


@pytest.fixture
def other_tenant(db) -> Tenant:
    """A second, unrelated organization: nothing of it may ever leak to `tenant`."""
    return _tenant()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def key_client(db):
    """`key_client(workspace, scope)` → an APIClient authenticated by a new key."""

    def make(workspace: Workspace, scope: str = ApiKeyScope.WRITE) -> APIClient:
        secret, _ = api_key(workspace, scope)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def user_client(db):
    """`user_client(user)` → an APIClient with a signed-in session."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture(scope="session")
def static_files(tmp_path_factory, django_test_environment):
    """Run collectstatic once into a temporary STATIC_ROOT, for pages with CSS.

    Tests run with DEBUG off, so `{% static %}` goes through the manifest
    storage exactly as in production: a template naming a missing file fails
    here instead of answering 500 after a deploy. Opt in from any test that
    renders templates (the `web` fixture does); it costs about two seconds.
    """
    from django.core.management import call_command
    from django.test.utils import override_settings

    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=str(root)):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture
def web(db, static_files):
    """`web(user, workspace=None)` → a Django test Client signed in as `user`.

    With `workspace`, it is the current one (as if chosen in the switcher).
    """
    from django.test import Client

    def make(user: User, workspace: Workspace | None = None) -> Client:
        client = Client()
        client.force_login(user)
        if workspace is not None:
            session = client.session
            session["workspace_id"] = workspace.pk
            session.save()
        return client

    return make
