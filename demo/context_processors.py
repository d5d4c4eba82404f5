from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from demo import inbox


def demo_inbox(request: HttpRequest) -> dict[str, Any]:
    """`demo_inbox_enabled`: the sidebar links to the inbox only when it exists."""
    return {"demo_inbox_enabled": inbox.enabled()}
