"""Helpers shared by the connector tests of X, LinkedIn, Facebook and Instagram:
a request as the publish task builds it, a small real JPEG, a queued
publication for the end-to-end path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import PostStatus
from connections.models import ChannelAccount
from networks.base import ConnectorError, MediaItem, PublishRequest
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.factories import PostFactory


def request_for(
    account: ChannelAccount, text: str = "Fresh beans today.", **kw: Any
) -> PublishRequest:
    defaults: dict[str, Any] = {
        "publication_id": 1,
        "post_id": 1,
        "account": account,
        "text": text,
        "link": "",
        "scheduled_at": timezone.now(),
        "idempotency_key": "key-1",
    }
    return PublishRequest(**{**defaults, **kw})


def jpeg(
    folder: Path, name: str = "a.jpg", size: tuple[int, int] = (64, 48)
) -> MediaItem:
    path = folder / name
    Image.new("RGB", size, (200, 120, 40)).save(path, "JPEG")
    return MediaItem(
        path=str(path),
        content_type="image/jpeg",
        alt_text=f"Alt {name}",
        width=size[0],
        height=size[1],
    )


def error_of(call: Callable[[], object]) -> ConnectorError:
    with pytest.raises(ConnectorError) as info:
        call()
    return info.value


def queued_publication(
    account: ChannelAccount, body: str = "Autumn roast is here.", link: str = ""
) -> Publication:
    """A post scheduled now on `account`, its publication claimed by the
    dispatcher (`queued`), ready for `publishing.publication_publish`."""
    post = PostFactory(workspace=account.workspace, body=body, link=link)
    post.accounts.set([account])
    post.scheduled_at = timezone.now()
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    requeue(publication)
    return publication


def requeue(publication: Publication) -> None:
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
