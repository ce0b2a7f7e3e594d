"""Assigning papers and roles: preview, confirm, edits, role cards that reach everyone, acknowledgements.

Like the session service, every decision runs in one transaction of the unit of work (`bot.services.ports`)
that writes the seats and the posts they call for (role-card DMs, thread fallbacks, the table) into the
outbox; the outbox is delivered afterwards. Role cards go out concurrently, one outbox scope per student,
so discord.py's rate limiter paces them and one closed DM never holds up the others. Thread creation and
membership are the only Discord calls, behind `ThreadPort` (`ports.py`); the discord.py adapter is
`bot.adapters.discord.threads`. The reminder is set through the `Timers` port.

Confirm is a set of independent, recorded steps (`tx.steps`): the cards (per student, in
`acknowledgements`), each room, the class table and the instructor's report. Cards never wait for rooms,
rooms never wait for each other, what the permissions rule out is not even tried, the table is posted
last saying what happened, and a restart or `/conductor status` does only what is missing.

The service is one class, `AssignmentService`, assembled from one part per concern:

- `preview.py`: preview, reshuffle (a preview with a new seed), cancel;
- `confirm.py`: confirm's recorded steps, finishing them (`/conductor status`), resuming them, the report;
- `edits.py` and `changes.py`: `/roles swap|move|add|remove`, and what every change of seats writes and tells;
- `cards.py`: role cards written, fanned out by DM, settled, fallbacks, edited in place;
- `acknowledgements.py`: cards as students use them, Got it, the status list, the reminder;
- `attendance.py`: check-in; `rooms.py`: group and partner threads, archiving;
- `report.py`: what was done, counted; `model.py`: values and names; `ports.py`: what it needs of the chat platform;
  `base.py`: the state all parts share.
"""

from __future__ import annotations

from bot.core.statuses import Delivery
from bot.services.assignments.attendance import Attendance
from bot.services.assignments.cards import DM_OPENS_AT_ONCE
from bot.services.assignments.confirm import Confirming
from bot.services.assignments.edits import Editing
from bot.services.assignments.model import (
    AlreadyConfirmed,
    ClassList,
    EditAction,
    Preview,
    card_scope,
    in_words,
    scope_of,
    shown_name,
)
from bot.services.assignments.ports import Flush, ThreadPort
from bot.services.assignments.preview import Previewing
from bot.services.assignments.report import Outcome, Report

__all__ = [
    "DM_OPENS_AT_ONCE",
    "AlreadyConfirmed",
    "AssignmentService",
    "ClassList",
    "Delivery",
    "EditAction",
    "Flush",
    "Outcome",
    "Preview",
    "Report",
    "ThreadPort",
    "card_scope",
    "in_words",
    "scope_of",
    "shown_name",
]


class AssignmentService(Previewing, Confirming, Editing, Attendance):
    """Makes, confirms and edits a session's assignment; knows nothing of Discord beyond ids and a port."""
