"""An upload's renditions through a real worker: the request commits the
original, the broker carries `render_asset` on the `images` queue, the worker
process makes the thumbnail and renditions."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import services
from content.models import Asset, RenditionsState
from content.services.asset_renditions import remove_files
from tests.content.media import image_bytes
from tests.factories import WorkspaceFactory, member
from tests.integration.procs import wait_until
from tests.realservices import CeleryWorker

pytestmark = pytest.mark.integration


def test_a_real_worker_makes_an_uploads_renditions(
    transactional_db: None, celery_worker: CeleryWorker
) -> None:
    workspace = WorkspaceFactory()
    editor = member(workspace)
    asset, created = services.asset_upload(
        workspace=workspace,
        by=editor,
        file=image_bytes((800, 800)),
        filename="worker.png",
    )
    assert created and asset.renditions_state == RenditionsState.PROCESSING
    try:

        def ready() -> bool:
            asset.refresh_from_db()
            return asset.renditions_state != RenditionsState.PROCESSING

        done = wait_until(ready, timeout=60)
        celery_worker.assert_running()
        assert done, "renditions still processing after 60 s:\n" + celery_worker.log()
        assert asset.renditions_state == RenditionsState.READY
        assert Path(asset.thumbnail.path).is_file()
        assert {(r.network, r.format) for r in asset.renditions.all()} == {
            ("", "square"),
            ("", "landscape"),
        }
    finally:
        fresh = Asset.objects.get(pk=asset.pk)
        names = [fresh.file.name, fresh.thumbnail.name]
        names += list(fresh.renditions.values_list("file", flat=True))
        remove_files(n for n in names if n)
