"""Admin for channel accounts: metadata only.

`credentials` is an `EncryptedJSONField`, which is never editable and has no
form field, so it cannot appear here even by accident; it is excluded anyway so
the intent reads in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from connections.models import ChannelAccount

if TYPE_CHECKING:
    # Only the stubs' ModelAdmin is generic; at run time it cannot be subscripted.
    _ModelAdmin = admin.ModelAdmin[ChannelAccount]
else:
    _ModelAdmin = admin.ModelAdmin


@admin.register(ChannelAccount)
class ChannelAccountAdmin(_ModelAdmin):
    list_display = ["name", "network", "workspace", "status", "token_expires_at"]
    list_filter = ["network", "status"]
    search_fields = ["name", "handle", "external_id"]
    exclude = ["credentials", "refresh_lease_until"]
    readonly_fields = [
        "token_expires_at",
        "last_error",
        "last_checked_at",
        "connected_at",
        "created_at",
    ]
