"""Which workspace a person lands in after signing in (issue 9: the demo user
landed in an empty workspace because the first one by name was chosen)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    PASSWORD,
    OrganizationFactory,
    PostFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Membership, Role, User
from workspaces.workspace_choice import choose_workspace

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]


def _two_workspaces():
    """An owner of "A empty" (first by name) and "B busy" (has a post)."""
    org = OrganizationFactory()
    empty = WorkspaceFactory(organization=org, name="A empty")
    busy = WorkspaceFactory(organization=org, name="B busy")
    PostFactory(campaign__workspace=busy)
    user = UserFactory()
    Membership.objects.create(user=user, organization=org, role=Role.OWNER)
    return user, empty, busy


def _sign_in(client, user: User) -> None:
    response = client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302


def _current(client) -> int:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.wsgi_request.workspace.pk


def test_a_first_sign_in_lands_in_the_workspace_with_activity(client) -> None:
    user, _empty, busy = _two_workspaces()
    _sign_in(client, user)
    assert _current(client) == busy.pk


def test_a_new_sign_in_returns_to_the_last_used_workspace(client) -> None:
    user, empty, _busy = _two_workspaces()
    _sign_in(client, user)
    response = client.post(reverse("workspace-switch"), {"workspace_id": empty.pk})
    assert response.status_code == 302
    assert _current(client) == empty.pk
    client.logout()
    _sign_in(client, user)
    assert _current(client) == empty.pk
    user.refresh_from_db()
    assert user.last_workspace_id == empty.pk


def test_a_remembered_workspace_the_person_lost_is_not_chosen(client) -> None:
    user, empty, busy = _two_workspaces()
    stranger = WorkspaceFactory(name="0 someone else's")
    User.objects.filter(pk=user.pk).update(last_workspace=stranger)
    user.refresh_from_db()
    assert choose_workspace(user) == busy
    assert choose_workspace(user, empty.pk) == empty
    assert choose_workspace(user, stranger.pk) == busy
