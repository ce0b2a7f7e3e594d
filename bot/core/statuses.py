"""The stored statuses of sessions, seats and outbox posts, as `StrEnum`s whose values are the stored strings."""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    """Where a session run stands (`sessions.status`)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


# The statuses of a session that has not ended.
LIVE = (SessionStatus.SCHEDULED, SessionStatus.RUNNING, SessionStatus.PAUSED)


class SeatStatus(StrEnum):
    """Whether a seat belongs to the previewed or the confirmed assignment (`assignments.status`)."""

    PREVIEW = "preview"
    CONFIRMED = "confirmed"


class PostStatus(StrEnum):
    """Where an outbox post stands (`posts.status`)."""

    PENDING = "pending"  # not delivered yet
    SENT = "sent"
    FAILED = "failed"  # given up on (refused, or failed for good)
    SKIPPED = "skipped"  # withdrawn before it was sent
