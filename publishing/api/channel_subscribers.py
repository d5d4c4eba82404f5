"""`/api/v1/channels/{id}/subscribers/` and `…/subscribers/{subscriber_id}/`:
a newsletter's subscriber actions, mounted on the channels resource.

They sit here, not on `connections.api.accounts.ChannelViewSet`, because the
subscribers are publishing's and connections sits below it. config/api_urls.py
registers this viewset under "channels" with the basename "api-channel" on a
router of its own, so the paths and route names are the ones the actions had
on `ChannelViewSet`.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from connections.api.accounts import ChannelScope
from core.api.docs import RETRY_AFTER
from publishing.api.subscribers import SubscriberActions
from workspaces.permissions import Action


@extend_schema(tags=["channels"], parameters=[RETRY_AFTER])
class ChannelSubscriberViewSet(ChannelScope, SubscriberActions):
    action_permissions = {
        "subscribers": Action.MANAGE_CHANNELS,
        "subscriber": Action.MANAGE_CHANNELS,
    }
