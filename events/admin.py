"""Admin for the audit log and the outbox: read-only.

The audit log is append-only, so the admin may look but neither add, change
nor delete a row; outbox rows are the sender's to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from events.models import AuditEvent, OutboxEvent

if TYPE_CHECKING:
    # Only the stubs' ModelAdmin is generic; at run time it cannot be subscripted.
    _AuditAdmin = admin.ModelAdmin[AuditEvent]
    _OutboxAdmin = admin.ModelAdmin[OutboxEvent]
else:
    _AuditAdmin = _OutboxAdmin = admin.ModelAdmin


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnly, _AuditAdmin):
    list_display = ["created_at", "workspace", "action", "actor_label", "target_repr"]
    list_filter = ["action"]
    search_fields = ["action", "actor_label", "target_repr", "target_id"]
    date_hierarchy = "created_at"


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnly, _OutboxAdmin):
    list_display = ["created_at", "workspace", "type", "published_at", "attempts"]
    list_filter = ["type"]
