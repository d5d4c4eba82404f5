"""The one place that decides who may do what in which workspace.

UI views and API views both ask `can(principal, action, workspace)` and scope
their querysets with `visible_workspaces(principal)`. A principal is a signed-in
`User` or an `ApiKey`. Objects outside the visible workspaces are answered with
404 by the callers, never 403, so their existence does not leak.

Role matrix (a row is a role, `x` means allowed):

    action              owner admin editor reviewer client | key:read key:write
    view                  x     x     x       x       x    |    x        x
    comment               x     x     x       x       x    |             x
    edit_content          x     x     x                    |             x
    approve               x     x             x       x    |
    manage_channels       x     x                          |             x
    manage_workspace      x     x                          |             x
    set_approval_policy   x     x                          |
    manage_members        x     x                          |
    manage_api_keys       x     x                          |
    create_workspace      x     x                          |  (org key)  x
    manage_organization   x                                |

Approving is a person's act (an audit trail names who approved), and a key can
neither mint keys nor change members, so a leaked key cannot escalate itself.
Nor can a key switch approval off (`set_approval_policy`): a machine that may
not approve must not be able to remove the rule either.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from workspaces.models import (
    ApiKey,
    ApiKeyScope,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    Principal = User | ApiKey | AnonymousUser


class Action(enum.StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    EDIT_CONTENT = "edit_content"
    APPROVE = "approve"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_WORKSPACE = "manage_workspace"
    SET_APPROVAL_POLICY = "set_approval_policy"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_KEYS = "manage_api_keys"
    CREATE_WORKSPACE = "create_workspace"
    MANAGE_ORGANIZATION = "manage_organization"


# The one answer to a key that tries to approve (the API's 403 says why).
KEY_CANNOT_APPROVE = (
    "A person must approve: API keys cannot approve posts. Use a personal "
    "access token or the web UI."
)
APPROVAL_POLICY_FORBIDDEN = (
    "Only a signed-in owner or admin may change whether posts need approval; "
    "API keys cannot."
)

_A = Action
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(Action) - {_A.MANAGE_ORGANIZATION},
    Role.EDITOR: frozenset({_A.VIEW, _A.COMMENT, _A.EDIT_CONTENT}),
    Role.REVIEWER: frozenset({_A.VIEW, _A.COMMENT, _A.APPROVE}),
    Role.CLIENT: frozenset({_A.VIEW, _A.COMMENT, _A.APPROVE}),
}
KEY_SCOPE_ACTIONS: dict[str, frozenset[Action]] = {
    ApiKeyScope.READ: frozenset({_A.VIEW}),
    ApiKeyScope.WRITE: frozenset(
        {
            _A.VIEW,
            _A.COMMENT,
            _A.EDIT_CONTENT,
            _A.MANAGE_CHANNELS,
            _A.MANAGE_WORKSPACE,
            _A.CREATE_WORKSPACE,
        }
    ),
}
# Strongest first: an org-wide role and a workspace role combine to the stronger.
ROLE_RANK: list[str] = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.CLIENT]


def _stronger(roles: Iterable[str]) -> str | None:
    ranked = sorted(roles, key=ROLE_RANK.index)
    return ranked[0] if ranked else None


def is_api_key(principal: object) -> bool:
    return isinstance(principal, ApiKey)


def _person(principal: Principal) -> User | None:
    """The signed-in person acting, or None for a key or an anonymous caller."""
    if isinstance(principal, User) and principal.is_authenticated:
        return principal
    return None


def role_in_workspace(principal: Principal, workspace: Workspace) -> str | None:
    """The person's effective role in the workspace, or None (keys have none)."""
    person = _person(principal)
    if person is None:
        return None
    cache = _role_cache(person)
    if workspace.pk not in cache:
        roles = Membership.objects.filter(
            Q(workspace=workspace) | Q(workspace__isnull=True),
            user=person,
            organization_id=workspace.organization_id,
        ).values_list("role", flat=True)
        cache[workspace.pk] = _stronger(roles)
    return cache[workspace.pk]


def role_in_organization(
    principal: Principal, organization: Organization
) -> str | None:
    """The person's organization-wide role (owner, admin…), or None."""
    person = _person(principal)
    if person is None:
        return None
    roles = Membership.objects.filter(
        user=person, organization=organization, workspace__isnull=True
    ).values_list("role", flat=True)
    return _stronger(roles)


def _key_reaches(key: ApiKey, workspace: Workspace) -> bool:
    if key.workspace_id is not None:
        return key.workspace_id == workspace.pk
    return key.organization_id == workspace.organization_id


def allowed_actions(principal: Principal, workspace: Workspace) -> frozenset[Action]:
    if isinstance(principal, ApiKey):
        if not principal.is_active or not _key_reaches(principal, workspace):
            return frozenset()
        return KEY_SCOPE_ACTIONS[principal.scope] - {Action.CREATE_WORKSPACE}
    role = role_in_workspace(principal, workspace)
    return ROLE_ACTIONS[role] if role else frozenset()


def can(principal: Principal, action: Action, workspace: Workspace) -> bool:
    """May this person or key do `action` in `workspace`?"""
    return action in allowed_actions(principal, workspace)


def can_in_organization(
    principal: Principal, action: Action, organization: Organization
) -> bool:
    """Organization-level acts: creating workspaces, managing the organization.

    Only an organization-wide role (or an organization-wide write key) counts:
    being admin of one workspace does not let a person add workspaces.
    """
    if isinstance(principal, ApiKey):
        return (
            principal.is_active
            and principal.workspace_id is None
            and principal.organization_id == organization.pk
            and action in KEY_SCOPE_ACTIONS[principal.scope]
        )
    role = role_in_organization(principal, organization)
    if not role:
        return False
    return action in ROLE_ACTIONS[role]


def visible_workspaces(principal: Principal) -> QuerySet[Workspace]:
    """Every workspace the principal may see; the root of every scoped queryset."""
    qs = Workspace.objects.select_related("organization")
    if isinstance(principal, ApiKey):
        if not principal.is_active:
            return qs.none()
        if principal.workspace_id is not None:
            return qs.filter(pk=principal.workspace_id)
        return qs.filter(organization_id=principal.organization_id)
    person = _person(principal)
    if person is None:
        return qs.none()
    org_wide = Membership.objects.filter(user=person, workspace__isnull=True)
    direct = Membership.objects.filter(user=person, workspace__isnull=False)
    return qs.filter(
        Q(organization_id__in=org_wide.values("organization_id"))
        | Q(pk__in=direct.values("workspace_id"))
    )


def visible_organizations(principal: Principal) -> QuerySet[Organization]:
    if isinstance(principal, ApiKey):
        if not principal.is_active:
            return Organization.objects.none()
        return Organization.objects.filter(pk=principal.organization_id)
    person = _person(principal)
    if person is None:
        return Organization.objects.none()
    return Organization.objects.filter(
        pk__in=Membership.objects.filter(user=person).values("organization_id")
    )


def roles_allowed(action: Action) -> list[str]:
    """The roles whose members may do `action` (the one reading of ROLE_ACTIONS
    for membership queries)."""
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def workspaces_where(principal: Principal, action: Action) -> QuerySet[Workspace]:
    """Visible workspaces in which the principal may do `action`.

    Used to scope writes (e.g. the workspaces a new object may be created in).
    """
    if isinstance(principal, ApiKey):
        allowed = action in KEY_SCOPE_ACTIONS.get(principal.scope, frozenset())
        return visible_workspaces(principal) if allowed else Workspace.objects.none()
    person = _person(principal)
    if person is None:  # API views let only the signed-in in
        return Workspace.objects.none()
    roles = roles_allowed(action)
    memberships = Membership.objects.filter(user=person, role__in=roles)
    return visible_workspaces(principal).filter(
        Q(
            organization_id__in=memberships.filter(workspace__isnull=True).values(
                "organization_id"
            )
        )
        | Q(pk__in=memberships.filter(workspace__isnull=False).values("workspace_id"))
    )


def can_anywhere(principal: Principal, action: Action) -> bool:
    """May the principal do `action` in at least one workspace or organization?

    The early answer for a request that names its workspace in the body: who
    may do it nowhere is refused before the body is read.
    """
    if isinstance(principal, ApiKey):
        return principal.is_active and action in KEY_SCOPE_ACTIONS[principal.scope]
    person = _person(principal)
    if person is None:
        return False
    roles = roles_allowed(action)
    return Membership.objects.filter(user=person, role__in=roles).exists()


def _role_cache(principal: object) -> dict[int, str | None]:
    # Per-request memo: a page that asks ten questions about one workspace runs
    # one query. Users are fresh objects per request, so it cannot go stale
    # across requests.
    cache = getattr(principal, "_adloop_role_cache", None)
    if cache is None:
        cache = {}
        # A memo on the object itself; no model declares the attribute.
        principal._adloop_role_cache = cache  # type: ignore[attr-defined]  # see above
    return cache


def forget_cached_roles(principal: object) -> None:
    """Call after changing a person's memberships within the same request."""
    if hasattr(principal, "_adloop_role_cache"):
        del principal._adloop_role_cache


def can_manage_membership(principal: Principal, membership: Membership) -> bool:
    """May the principal change the role of, or remove, this membership?

    A workspace row needs MANAGE_MEMBERS in its workspace. An organization-wide
    row (an owner, an organization admin) is the organization's business and
    needs MANAGE_ORGANIZATION, so a workspace admin cannot demote the agency's
    owner.
    """
    workspace = membership.workspace
    if workspace is None:
        return can_in_organization(
            principal, Action.MANAGE_ORGANIZATION, membership.organization
        )
    return can(principal, Action.MANAGE_MEMBERS, workspace)


def can_manage_api_key(principal: Principal, api_key: ApiKey) -> bool:
    """May the principal revoke this key?

    A workspace key needs MANAGE_API_KEYS in its workspace; an organization-wide
    key reaches every workspace, so only an organization-wide role may revoke it.
    """
    workspace = api_key.workspace
    if workspace is None:
        return can_in_organization(
            principal, Action.MANAGE_API_KEYS, api_key.organization
        )
    return can(principal, Action.MANAGE_API_KEYS, workspace)
