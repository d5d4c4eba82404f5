"""People, organizations, workspaces, memberships and API keys (the campaigns
app's tenancy models): what every other factory hangs from."""

from __future__ import annotations

import factory

from workspaces.models import (
    ApiKeyScope,
    Membership,
    Organization,
    Role,
    User,
    Workspace,
)
from workspaces.services.api_keys import api_key_create

PASSWORD = "a-Strong-test-passw0rd"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class WorkspaceFactory(factory.django.DjangoModelFactory[Workspace]):
    class Meta:
        model = Workspace

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"ws-{n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    organization = factory.LazyAttribute(lambda m: m.workspace.organization)
    role = Role.EDITOR


def member(workspace: Workspace, role: str = Role.EDITOR, **user_fields) -> User:
    """A new person with `role` in `workspace` (owner: organization-wide)."""
    user = UserFactory(**user_fields)
    if role == Role.OWNER:
        Membership.objects.create(
            user=user, organization=workspace.organization, role=role
        )
    else:
        MembershipFactory(user=user, workspace=workspace, role=role)
    return user


def api_key(
    workspace: Workspace | None = None,
    scope: str = ApiKeyScope.WRITE,
    organization: Organization | None = None,
) -> tuple[str, object]:
    """A fresh key (secret, row) for a workspace, or organization-wide."""
    org = organization or workspace.organization  # type: ignore[union-attr]
    issued = api_key_create(
        organization=org, workspace=workspace, name="test key", scope=scope
    )
    return issued.secret, issued.api_key
