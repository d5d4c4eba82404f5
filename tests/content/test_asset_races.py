"""An asset deleted by another request while this one works on it: the answer
is a 404, never a 500 (schemathesis found `PATCH /api/v1/assets/{id}/` failing
with a database error when its two workers raced a DELETE)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from content.api.assets import AssetViewSet
from content.models import Asset
from tests.content.media import media_root
from tests.content.test_api_assets import make_asset
from tests.factories import PostFactory

__all__ = ["media_root"]  # fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted_after_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The view reads the asset, then another request's delete commits."""
    read = AssetViewSet.get_object

    def get_object(self: AssetViewSet) -> Asset:
        asset = read(self)
        Asset.objects.filter(pk=asset.pk).delete()
        return asset

    monkeypatch.setattr(AssetViewSet, "get_object", get_object)


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("", {"alt_text": "", "tags": "0"}),
        ("", {"tags": ["autumn"]}),
        ("", {"alt_text": "A latte"}),
        ("attach/", None),
        ("", "DELETE"),
    ],
)
def test_a_write_on_an_asset_deleted_meanwhile_answers_404(
    tenant: Any,
    user_client: Any,
    media_root: Path,
    deleted_after_read: None,
    action: str,
    body: Any,
) -> None:
    asset = make_asset(tenant)
    client = user_client(tenant.editor)
    url = f"/api/v1/assets/{asset.pk}/{action}"
    if body == "DELETE":
        response = client.delete(url)
    elif action == "attach/":
        post = PostFactory(campaign__workspace=tenant.workspace)
        response = client.post(url, {"post": post.pk}, format="json")
    else:
        response = client.patch(url, body, format="multipart")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert not Asset.objects.filter(pk=asset.pk).exists()
