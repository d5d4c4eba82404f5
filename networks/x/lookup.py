"""Finding our posts again: the user's recent posts since shortly before the
due time, oldest first (a thread's parts follow its head)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from networks import apicall
from networks.x.api import NETWORK, api_base, error_for, parse_time

# A post created earlier than this before the due time is not ours.
LOOKUP_MARGIN = timedelta(minutes=10)
LOOKUP_PAGE = 100


@dataclass(frozen=True)
class Tweet:
    """One of the user's posts, as much of it as `lookup` compares."""

    id: str
    text: str
    replied_to: str
    created_at: datetime | None


def recent_posts(
    user_id: str, token: str, account: Any, *, since: datetime | None
) -> list[Tweet]:
    """The user's recent posts (one page), created since shortly before `since`."""
    query: dict[str, Any] = {
        "max_results": LOOKUP_PAGE,
        "tweet.fields": "created_at,referenced_tweets",
        "exclude": "retweets",
    }
    if since is not None:
        start = since - LOOKUP_MARGIN
        query["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = apicall.call(
        "GET",
        f"{api_base()}/2/users/{user_id}/tweets?{urlencode(query)}",
        network=NETWORK,
        headers={"Authorization": f"Bearer {token}"},
        secrets_=(token,),
    )
    data = apicall.json_of(answer)
    if answer.status != 200:
        raise error_for(answer, data, account, token, what="the lookup")
    tweets = []
    for item in data.get("data") or []:
        if not isinstance(item, dict):
            continue
        replied_to = ""
        for ref in item.get("referenced_tweets") or []:
            if isinstance(ref, dict) and ref.get("type") == "replied_to":
                replied_to = str(ref.get("id") or "")
        tweets.append(
            Tweet(
                id=str(item.get("id") or ""),
                text=str(item.get("text") or ""),
                replied_to=replied_to,
                created_at=parse_time(item.get("created_at")),
            )
        )
    return tweets


def age_order(tweet: Tweet) -> tuple[float, int]:
    stamp = tweet.created_at.timestamp() if tweet.created_at else 0.0
    return stamp, int(tweet.id) if tweet.id.isdigit() else 0
