"""An empty upload answers the documented code `empty`, not DRF's `invalid`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from content.models import Asset
from tests.content.media import files_under, media_root

__all__ = ["media_root"]  # fixture


def test_an_empty_upload_is_400_empty_and_keeps_nothing(
    tenant: Any, user_client: Any, media_root: Path
) -> None:
    response = user_client(tenant.editor).post(
        "/api/v1/assets/",
        {"workspace": tenant.workspace.pk, "file": SimpleUploadedFile("a.png", b"")},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "empty"
    assert error["fields"] == {"file": [error["message"]]}
    assert Asset.objects.count() == 0
    assert files_under(media_root) == []
