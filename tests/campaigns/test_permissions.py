"""The role matrix, checked in the one permission layer."""

from __future__ import annotations

import pytest

from tests.factories import WorkspaceFactory, api_key, member
from workspaces.models import ApiKeyScope, Role
from workspaces.permissions import (
    Action,
    can,
    can_in_organization,
    visible_workspaces,
)
from workspaces.services.api_keys import api_key_revoke

EXPECTED = {
    Role.OWNER: set(Action),
    Role.ADMIN: set(Action) - {Action.MANAGE_ORGANIZATION},
    Role.EDITOR: {Action.VIEW, Action.COMMENT, Action.EDIT_CONTENT},
    Role.REVIEWER: {Action.VIEW, Action.COMMENT, Action.APPROVE},
    Role.CLIENT: {Action.VIEW, Action.COMMENT, Action.APPROVE},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_matrix(tenant, role, action):
    person = tenant.person(role)
    assert can(person, action, tenant.workspace) is (action in EXPECTED[role])


@pytest.mark.parametrize("role", list(Role))
def test_no_role_reaches_another_organization(tenant, other_tenant, role):
    person = tenant.person(role)
    assert not any(can(person, a, other_tenant.workspace) for a in Action)
    assert other_tenant.workspace not in visible_workspaces(person)


def test_org_wide_role_and_workspace_role_combine_to_the_stronger(db):
    ws = WorkspaceFactory()
    sibling = WorkspaceFactory(organization=ws.organization)
    person = member(ws, Role.CLIENT)
    from workspaces.models import Membership

    Membership.objects.create(
        user=person, organization=ws.organization, role=Role.ADMIN
    )
    person = type(person).objects.get(pk=person.pk)  # drop the per-request memo
    assert can(person, Action.MANAGE_MEMBERS, ws)
    assert can(person, Action.MANAGE_MEMBERS, sibling)


def test_workspace_admin_cannot_create_workspaces(tenant):
    org = tenant.workspace.organization
    assert not can_in_organization(tenant.admin, Action.CREATE_WORKSPACE, org)
    assert can_in_organization(tenant.owner, Action.CREATE_WORKSPACE, org)


def test_read_key_only_views(tenant):
    _, key = api_key(tenant.workspace, ApiKeyScope.READ)
    assert can(key, Action.VIEW, tenant.workspace)
    assert not can(key, Action.EDIT_CONTENT, tenant.workspace)


def test_keys_never_approve_nor_escalate(tenant):
    _, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    for action in (Action.APPROVE, Action.MANAGE_API_KEYS, Action.MANAGE_MEMBERS):
        assert not can(key, action, tenant.workspace)


def test_workspace_key_does_not_reach_sibling_workspace(tenant):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    _, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    assert not can(key, Action.VIEW, sibling)
    assert list(visible_workspaces(key)) == [tenant.workspace]


def test_revoked_key_can_do_nothing(tenant):
    _, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    api_key_revoke(api_key=key)
    assert not can(key, Action.VIEW, tenant.workspace)
    assert not visible_workspaces(key).exists()
