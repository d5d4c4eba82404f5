"""One of every object a workspace owns, and the OpenAPI operations that name them.

The schema-driven sweeps (`test_schema_sweep.py`, `test_read_key_first.py`)
call every operation of the live schema with another workspace's ids. They need
an id of the right kind for each path parameter: `RESOURCES` maps the first
segment of an API path (`/api/v1/<segment>/{id}/…`) to the object it names.
A path whose segment is missing here fails the sweep by name, so a new
endpoint cannot ship without being swept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from campaigns import lifecycle
from campaigns.models import Job
from content import services as content_services
from content.models import Generation, Rendition, Variant
from publishing.models import Publication, Subscriber
from tests.content.media import image_bytes
from tests.factories import (
    BrandProfileFactory,
    CampaignFactory,
    ConnectedAccountFactory,
    PillarFactory,
    PostFactory,
    UserFactory,
    WorkspaceFactory,
    api_key,
    member,
)
from workspaces.models import ApiKeyScope, Membership, Role, User, Workspace
from workspaces.services import personal_tokens
from workspaces.services.invitations import invitation_create

# `/api/v1/<segment>/…` → the key of `World.ids` whose id goes into `{id}`.
RESOURCES: dict[str, str] = {
    "api-keys": "api_key",
    "assets": "asset",
    "brands": "brand",
    "campaigns": "campaign",
    "channel-accounts": "account",
    "channels": "account",
    "generations": "generation",
    "invitations": "invitation",
    "jobs": "job",
    "members": "membership",
    "organizations": "organization",
    "personal-access-tokens": "personal_token",
    "posts": "post",
    "publications": "publication",
    "variants": "variant",
    "workspaces": "workspace",
}
# Other path parameters, by name → the key of `World.ids`.
SUB_RESOURCES: dict[str, str] = {"subscriber_id": "subscriber"}
METHODS = ("get", "post", "put", "patch", "delete")
# Fields a request may touch without changing the object (a key's last use).
BOOKKEEPING = {"last_used_at"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, e.g. /api/v1/posts/{id}/approve/
    operation_id: str
    # The writable properties of its JSON request body, as the schema has them.
    fields: tuple[str, ...] = ()

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def segment(self) -> str:
        return self.path.removeprefix("/api/v1/").split("/")[0]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations() -> list[Operation]:
    """Every operation of the API's own schema (drf-spectacular, in-process)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        Operation(method, path, spec.get("operationId", ""), _body_fields(schema, spec))
        for path, item in schema["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def _body_fields(schema: dict[str, Any], spec: dict[str, Any]) -> tuple[str, ...]:
    content = spec.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return tuple(
        name
        for name, prop in body.get("properties", {}).items()
        if not prop.get("readOnly")
    )


def address(op: Operation, ids: dict[str, Any]) -> str:
    """`op`'s path with `ids` (a world's, or a mix of two) in its parameters."""
    path = op.path
    for name in op.params:
        key = param_key(op, name)
        assert key is not None, f"{op}: no object for {{{name}}}"
        path = path.replace(f"{{{name}}}", str(ids[key]))
    return path


def param_key(op: Operation, name: str) -> str | None:
    """The `World.ids` key a path parameter of `op` takes (None: unmapped)."""
    if name in SUB_RESOURCES:
        return SUB_RESOURCES[name]
    if name in ("id", "pk"):
        return RESOURCES.get(op.segment)
    return None


@dataclass
class World:
    """A workspace with one of everything, and who acts in it."""

    workspace: Workspace
    owner: User
    write_secret: str
    read_secret: str
    token_secret: str  # the owner's personal access token (acts as the owner)
    ids: dict[str, Any] = field(default_factory=dict)
    rows: list[models.Model] = field(default_factory=list)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every field of every row this world owns, as read now."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            fresh = type(row).objects.filter(pk=row.pk).first()
            key = f"{type(row).__name__}:{row.pk}"
            out[key] = model_to_dict(fresh) if fresh is not None else {}
            if fresh is not None:  # model_to_dict skips non-editable fields
                out[key].update(
                    {
                        f.attname: getattr(fresh, f.attname)
                        for f in fresh._meta.concrete_fields
                        if not f.editable
                    }
                )
                out[key] = {
                    k: repr(v) for k, v in out[key].items() if k not in BOOKKEEPING
                }
        return out


def build_world(tag: str) -> World:
    """A new organization and workspace holding one object of every kind the API
    names by id, in states that make writes possible (a post in review, a
    publication and a generation still open), so an isolation gap would show
    as a change, not as a 409."""
    workspace = WorkspaceFactory(approval_required=True, name=f"Workspace {tag}")
    owner = member(workspace, Role.OWNER)
    editor = member(workspace, Role.EDITOR)
    write_secret, _ = api_key(workspace, ApiKeyScope.WRITE)
    read_secret, read_key = api_key(workspace, ApiKeyScope.READ)
    planned = _plan_rows(workspace, editor, tag)
    account: Any = planned["account"]
    post: Any = planned["post"]
    copy = _copy_rows(post, account, tag)
    rest = _workspace_rows(workspace, owner, editor, account, tag)
    UserFactory()  # someone in no workspace, so "every user" is never "every row"
    token = personal_tokens.token_create(user=owner, name=f"Token {tag}")
    world = World(workspace, owner, write_secret, read_secret, token.secret)
    objects: dict[str, models.Model] = {
        "organization": workspace.organization,
        "workspace": workspace,
        "api_key": read_key,
        **planned,
        **copy,
        **rest,
        "personal_token": token.token,
    }
    world.ids = {key: row.pk for key, row in objects.items()}
    world.ids["workspace_slug"] = workspace.slug
    world.rows = [*objects.values(), owner, editor, *post.history.all()]
    return world


def _plan_rows(workspace: Workspace, editor: User, tag: str) -> dict[str, models.Model]:
    """An account, a brand, a campaign with a pillar, and a post already
    submitted: in review is the state where most writes are still allowed."""
    account = ConnectedAccountFactory(workspace=workspace, network="email")
    brand = BrandProfileFactory(workspace=workspace, name=f"Brand {tag}")
    campaign = CampaignFactory(
        workspace=workspace,
        brand=brand,
        name=f"Campaign {tag}",
        cadences=[(account, 3)],
    )
    PillarFactory(campaign=campaign)
    post = PostFactory(
        campaign=campaign,
        accounts=[account],
        topic=f"Topic {tag}",
        scheduled_at=timezone.now() + timedelta(days=5),
    )
    lifecycle.transition(post, "submit", by=editor)
    return {"account": account, "brand": brand, "campaign": campaign, "post": post}


def _copy_rows(post: Any, account: Any, tag: str) -> dict[str, models.Model]:
    """A generation, its variant and a publication waiting for review: each
    still open, so a foreign write to them would change them."""
    workspace = post.workspace
    generation = Generation.objects.create(
        workspace=workspace,
        post=post,
        provider="offline",
        prompt_template="copy",
        prompt_version="1",
        inputs_hash=f"h-{tag}",
    )
    variant = Variant.objects.create(
        workspace=workspace,
        post=post,
        generation=generation,
        network=account.network,
        account=account,
        label="A",
        text=f"Copy of {tag}.",
    )
    due = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    publication = Publication.objects.create(
        workspace=workspace,
        post=post,
        account=account,
        network=account.network,
        status="needs_review",
        due_at=due,
        next_attempt_at=due,
        idempotency_key=f"sweep-{tag}",
    )
    return {"generation": generation, "variant": variant, "publication": publication}


def _workspace_rows(
    workspace: Workspace,
    owner: User,
    editor: User,
    account: Any,
    tag: str,
) -> dict[str, models.Model]:
    """The rest the API names by id: a subscriber, a job, an invitation, the
    editor's membership, an asset and one of its renditions."""
    subscriber = Subscriber.objects.create(
        workspace=workspace,
        account=account,
        email=f"reader-{tag}@example.test",
        status="confirmed",
        unsubscribe_token=f"unsub-{tag}-0123456789abcdef0123456789",
    )
    job = Job.objects.create(workspace=workspace, kind="plan")
    invitation = invitation_create(
        organization=workspace.organization,
        email=f"invitee-{tag}@example.test",
        role=Role.EDITOR,
        invited_by=owner,
        workspace=workspace,
        send=False,
    ).invitation
    membership = Membership.objects.get(user=editor, workspace=workspace)
    asset = _asset(workspace, owner)
    rendition = asset.renditions.first() or Rendition.objects.create(
        asset=asset,
        format="square",
        network="",
        width=32,
        height=24,
        content_type="image/png",
        bytes=1,
        file=asset.file.name,
    )
    return {
        "subscriber": subscriber,
        "job": job,
        "invitation": invitation,
        "membership": membership,
        "asset": asset,
        "rendition": rendition,
    }


def _asset(workspace: Workspace, owner: User) -> models.Model:
    asset, _ = content_services.asset_upload(
        workspace=workspace,
        by=owner,
        file=image_bytes(colour=(workspace.pk % 255, 40, 90)),
        filename="sweep.png",
    )
    return asset
