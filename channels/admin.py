"""Admin for channel accounts: metadata only.

`credentials` is an `EncryptedJSONField`, which is never editable and has no
form field, so it cannot appear here even by accident; it is excluded anyway so
the intent reads in one place.
"""

from __future__ import annotations

from django.contrib import admin

from channels.models import ChannelAccount


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
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
