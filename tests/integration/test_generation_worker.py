"""Copy generation through a real worker: the request commits, the broker
carries `run_generation`, the worker process writes the variants."""

from __future__ import annotations

import pytest

from content import services
from content.models import Generation, GenerationStatus, Variant
from tests.factories import ChannelAccountFactory, PostFactory, WorkspaceFactory, member
from tests.integration.procs import wait_until
from tests.realservices import CeleryWorker

pytestmark = pytest.mark.integration


def test_a_real_worker_writes_offline_variants_end_to_end(
    transactional_db: None, celery_worker: CeleryWorker
) -> None:
    workspace = WorkspaceFactory()
    editor = member(workspace)
    accounts = [
        ChannelAccountFactory(workspace=workspace, network=network)
        for network in ("mastodon", "bluesky", "x")
    ]
    post = PostFactory(campaign__workspace=workspace, accounts=accounts)

    generation = services.generation_request(post=post, by=editor, count=2)

    def finished() -> bool:
        generation.refresh_from_db()
        return generation.is_finished

    done = wait_until(finished, timeout=60)
    celery_worker.assert_running()
    assert done, f"generation still {generation.status} after 60 s"
    assert generation.status == GenerationStatus.SUCCEEDED, generation.error
    assert generation.progress == 100 and generation.finished_at
    variants = Variant.objects.filter(generation=generation)
    assert sorted(variants.values_list("network", "label")) == [
        (network, label)
        for network in ("bluesky", "mastodon", "x")
        for label in ("A", "B")
    ]
    assert all(v.provider == "offline" for v in variants)
    assert Generation.objects.filter(post=post).count() == 1
