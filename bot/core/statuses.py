"""The stored statuses and kinds (sessions, seats, outbox posts, events, card deliveries, confirm steps), as
`StrEnum`s whose values are the stored strings.
"""

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


class PostKind(StrEnum):
    """What delivering an outbox post does (`posts.kind`)."""

    SEND = "send"  # a new message in the channel `channel_id`
    EDIT = "edit"  # an edit of the post `payload["target"]` (same scope)
    DM = "dm"  # a new message in the DM of the user whose id is `channel_id`
    DM_EDIT = "dm-edit"  # an edit of a DMed post


class SessionAction(StrEnum):
    """How an instructor steers a running session (`/session pause`, ...)."""

    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    NEXT = "next"
    BACK = "back"
    STOP = "stop"


class EventKind(StrEnum):
    """What happened to a session (`timeline_events.kind`)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    NEXT = "next"
    BACK = "back"
    STOP = "stop"
    ANNOUNCED = "announced"
    SLOT_ENDED = "slot-ended"
    FINISHED = "finished"
    ASSIGN_CONFIRMED = "assign-confirmed"
    ROLES_SWAP = "roles-swap"
    ROLES_MOVE = "roles-move"
    ROLES_ADD = "roles-add"
    ROLES_REMOVE = "roles-remove"


class Delivery(StrEnum):
    """How a student's role card reached them (`acknowledgements.delivery`)."""

    PENDING = "pending"  # not known yet: the card is still being delivered
    DM = "dm"  # delivered by DM
    FALLBACK = "fallback"  # DMs closed: pinged with a Show my role button (group room or class channel)
    FAILED = "failed"  # neither: nowhere to reach them


class StepStatus(StrEnum):
    """Where one recorded step of a confirm stands (`confirm_steps.status`)."""

    PENDING = "pending"  # decided, not done yet (or cut short by a crash)
    DONE = "done"
    BLOCKED = "blocked"  # the platform refuses it for want of a permission; `detail` names what to grant
    FAILED = "failed"  # failed for another reason; `detail` says why
