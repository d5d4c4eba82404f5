"""X images: the checks before posting and the simple upload (the file
base64 in a JSON body), with alt text through the metadata call."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from networks import apicall
from networks.base import ConnectorError, MediaItem
from networks.x.api import NETWORK, api_base, error_for

MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def image_problems(item: MediaItem) -> list[str]:
    problems = []
    if item.content_type not in IMAGE_TYPES:
        problems.append(
            f"X takes JPEG, PNG, GIF or WebP images, not {item.content_type}."
        )
    try:
        size = os.path.getsize(item.path)
    except OSError:
        return [*problems, "An image of this post is missing from the media storage."]
    if size > MAX_IMAGE_BYTES:
        problems.append(f"An image is {size / 1_048_576:.1f} MB; X takes at most 5 MB.")
    return problems


def upload(item: MediaItem, token: str, account: Any) -> str:
    """Upload one image (and its alt text); X's media id."""
    body = {
        "media": base64.b64encode(item.read()).decode(),
        "media_category": "tweet_image",
        "media_type": item.content_type,
    }
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    answer = apicall.call(
        "POST",
        f"{api_base()}/2/media/upload",
        network=NETWORK,
        content=json.dumps(body).encode(),
        headers=headers,
        secrets_=(token,),
    )
    data = apicall.json_of(answer)
    media_id = str((data.get("data") or {}).get("id") or "")
    if answer.status not in (200, 201) or not media_id:
        if answer.status in (200, 201):
            raise ConnectorError(
                "X did not return an id for the uploaded image; trying again.",
                kind="transient",
                http_status=answer.status,
            )
        raise error_for(answer, data, account, token, what="the image")
    if item.alt_text:
        alt = {"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}}
        answer = apicall.call(
            "POST",
            f"{api_base()}/2/media/metadata",
            network=NETWORK,
            content=json.dumps(alt).encode(),
            headers=headers,
            secrets_=(token,),
        )
        if answer.status >= 300:
            raise error_for(
                answer, apicall.json_of(answer), account, token, what="alt text"
            )
    return media_id
