"""Errors the services raise and both the UI and the API translate."""

from __future__ import annotations

from typing import Any


class ConflictError(Exception):
    """A request that is valid in form but conflicts with the current state (409).

    `code` is the stable machine-readable reason; `extra` goes into the API's
    error body next to it (the lifecycle puts the allowed actions there).
    """

    def __init__(self, message: str, *, code: str = "conflict", **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.extra = extra
