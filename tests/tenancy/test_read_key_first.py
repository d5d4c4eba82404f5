"""Permission is checked first (issue 10): a caller who may not make a write
gets 403 whatever the body or the object's state, never the 400 or 409 that
would tell it something. Every non-GET operation of the schema is called with
a read key, with its own workspace's ids and another's, with several bodies.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from campaigns import lifecycle
from campaigns.models import PostStatus
from tests.tenancy.world import World, address, build_world, operations

pytestmark = pytest.mark.django_db

BODIES: list[Any] = [
    {},
    {"reason": ""},
    {"name": 0, "approval_required": 0, "unknown_field": True},
    {"reason": "Looks fine.", "name": "Renamed", "approval_required": False},
    ["not", "an", "object"],
]


@pytest.fixture
def worlds(settings: Any, tmp_path: Any) -> tuple[World, World]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world("mine"), build_world("theirs")


def test_a_read_key_gets_403_on_every_write_whatever_the_body_or_state(
    worlds: tuple[World, World],
) -> None:
    mine, theirs = worlds
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mine.read_secret}")
    writes = [op for op in operations() if op.method != "get"]
    assert len(writes) > 30
    before = mine.snapshot()
    wrong: list[str] = []
    for op in writes:
        urls = {address(op, mine.ids), address(op, theirs.ids)}
        for url in sorted(urls):
            for body in BODIES:
                call = getattr(client, op.method)
                response = call(url, body, format="json")
                if response.status_code != 403:
                    wrong.append(
                        f"{op.method.upper()} {url} {body!r}: {response.status_code}"
                    )
    assert not wrong, "\n".join(wrong)
    assert mine.snapshot() == before


@pytest.mark.parametrize("state", [PostStatus.DRAFT, PostStatus.IN_REVIEW])
def test_a_read_key_learns_nothing_about_a_posts_state(
    worlds: tuple[World, World], state: str
) -> None:
    mine, _ = worlds
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mine.read_secret}")
    post_id = mine.ids["post"]
    if state == PostStatus.DRAFT:
        from campaigns.models import Post

        post = Post.objects.get(pk=post_id)
        lifecycle.transition(post, "cancel", by=mine.owner)
        lifecycle.transition(post, "restore", by=mine.owner)
    answers = {
        action: client.post(f"/api/v1/posts/{post_id}/{action}/", {}).json()["error"]
        for action in lifecycle.PERSON_ACTIONS
    }
    assert {a["code"] for a in answers.values()} == {"permission_denied"}
    # The same words whatever the move or the state: nothing to read from them.
    assert len({a["message"] for a in answers.values()}) == 1


def test_a_person_without_the_permission_gets_403_before_the_body_is_checked(
    worlds: tuple[World, World],
) -> None:
    mine, _ = worlds
    from workspaces.models import Membership, Role

    editor = Membership.objects.get(pk=mine.ids["membership"]).user
    assert Membership.objects.get(pk=mine.ids["membership"]).role == Role.EDITOR
    client = APIClient()
    client.force_authenticate(editor)
    # reject needs a reason (400 without one), but an editor may not reject.
    response = client.post(f"/api/v1/posts/{mine.ids['post']}/reject/", {})
    assert response.status_code == 403, response.content
    response = client.post(
        f"/api/v1/posts/{mine.ids['post']}/approve/", {"fingerprint": ["x"]}
    )
    assert response.status_code == 403, response.content


def test_a_person_who_may_not_cancel_a_job_gets_403_not_its_state(
    worlds: tuple[World, World],
) -> None:
    """A client may not cancel jobs: 403, not the 409 that says a plan runs to
    its end (`ApiViewSet.action_permissions`)."""
    mine, _ = worlds
    from tests.factories import member
    from workspaces.models import Role

    client = APIClient()
    client.force_authenticate(member(mine.workspace, Role.CLIENT))
    response = client.post(f"/api/v1/jobs/{mine.ids['job']}/cancel/")
    assert response.status_code == 403, response.content
    editor = APIClient()
    editor.force_authenticate(member(mine.workspace, Role.EDITOR))
    response = editor.post(f"/api/v1/jobs/{mine.ids['job']}/cancel/")
    assert response.json()["error"]["code"] == "not_cancelable"


# What a client may do to a workspace's objects (view, comment, approve).
CLIENT_MAY = {
    "/api/v1/posts/{id}/approve/",
    "/api/v1/posts/{id}/reject/",
    "/api/v1/posts/{id}/comments/",
    "/api/v1/publications/{id}/approve/",
}


def test_a_client_gets_403_on_every_write_it_may_not_make_whatever_the_body(
    worlds: tuple[World, World],
) -> None:
    """The same for a person: every write on an object of the schema that a
    client may not make answers 403 before its body or the object's state
    (`ApiViewSet.action_permissions`)."""
    mine, _ = worlds
    from tests.factories import member
    from workspaces.models import Role

    client = APIClient()
    client.force_authenticate(member(mine.workspace, Role.CLIENT))
    before = mine.snapshot()
    wrong = []
    for op in operations():
        if op.method == "get" or not op.params or op.path in CLIENT_MAY:
            continue
        for body in BODIES:
            response = getattr(client, op.method)(
                address(op, mine.ids), body, format="json"
            )
            # Someone else's personal token is no one's to see: 404, as missing.
            own = op.segment == "personal-access-tokens"
            if response.status_code not in ((404,) if own else (403, 405)):
                wrong.append(f"{op} {body!r}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert mine.snapshot() == before


# Creates anyone signed in may make: their own token, their own organization.
ANYONE_MAY_CREATE = {"/api/v1/personal-access-tokens/", "/api/v1/organizations/"}


def test_a_client_gets_403_on_every_create_it_may_make_nowhere_whatever_the_body(
    worlds: tuple[World, World],
) -> None:
    """A create names its workspace in the body; who may make it in no
    workspace gets 403 before the body is read (`ApiViewSet.create_permission`),
    never a 400 that describes the body."""
    mine, _ = worlds
    from tests.factories import member
    from workspaces.models import Role

    client = APIClient()
    client.force_authenticate(member(mine.workspace, Role.CLIENT))
    before = mine.snapshot()
    creates = [
        op
        for op in operations()
        if op.method == "post" and not op.params and op.path not in ANYONE_MAY_CREATE
    ]
    assert len(creates) >= 9, creates
    wrong = []
    for op in creates:
        for body in BODIES:
            response = client.post(address(op, mine.ids), body, format="json")
            if response.status_code != 403:
                wrong.append(f"{op} {body!r}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert mine.snapshot() == before
