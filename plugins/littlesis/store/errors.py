"""Errors the store raises on purpose."""

from __future__ import annotations

from datetime import datetime

from littlesis.core.errors import LittleSisError


class StoreError(LittleSisError):
    """Base class of the store's own errors."""


class NotFound(StoreError, LookupError):
    """A job, run or action that does not exist."""


class PlanFrozen(StoreError):
    """The plan can no longer change: part of it was applied, or the run is past review."""


class LockHeld(StoreError):
    """Someone else holds the lease."""

    def __init__(self, name: str, holder: str | None, expires_at: datetime | None):
        self.name = name
        self.holder = holder
        self.expires_at = expires_at
        until = f" until {expires_at.isoformat()}" if expires_at else ""
        super().__init__(f"lock {name!r} is held by {holder!r}{until}")


class UnsafePlanNotConfirmed(StoreError):
    """An unsafe plan is approved only by a person who confirms it explicitly."""
