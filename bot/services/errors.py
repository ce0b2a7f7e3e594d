"""The application's own storage errors: what the use cases (and the error path) see of a failing database.

The storage adapter (`bot.storage.uow`) translates its driver's exceptions into these, so the use cases
and the front ends never need to know which database, or which library, is behind the ports.
"""

from __future__ import annotations


class StorageError(Exception):
    """The store failed in a way nobody asked for (a bug, or a problem of the database itself)."""


class StorageUnavailable(StorageError):
    """The store cannot be used right now (locked by another process, deleted, unreadable, unreachable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Conflict(StorageError):
    """A write collided with another one made at the same instant (a seat, place, name or code taken)."""
