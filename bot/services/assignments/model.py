"""The assignment service's values: outbox scopes, confirm's step keys, the class list, a preview, names as
users read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.assignment import Assignment
from bot.core.errors import ConductorError
from bot.core.message import Inline, Mention, Rich, UserText, bold, rich


class EditAction(StrEnum):
    """A `/roles` change of the confirmed assignment (the value names it in the session's event log)."""

    SWAP = "swap"
    MOVE = "move"
    ADD = "add"
    REMOVE = "remove"


def scope_of(session_id: int) -> str:
    """The outbox scope of a session's assignment posts (table, thread notices, fallbacks)."""
    return f"assign:{session_id}"


def card_scope(session_id: int, user_id: int) -> str:
    """One outbox scope per student's cards, so cards are delivered side by side."""
    return f"card:{session_id}:{user_id}"


# Confirm's recorded steps (`tx.steps`): the class table, the instructor's report, and one per room.
TABLE = "table"
REPORT = "report"
ROOM = "room:"


def room_key(thread_key: str) -> str:
    """The step key of a room (a group or partner thread)."""
    return f"{ROOM}{thread_key}"


@dataclass(frozen=True)
class ClassList:
    """Who is in the class right now (user id -> display name) and each paper's teachers' user ids."""

    students: Mapping[int, str]
    teachers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    """A proposed assignment shown to the instructor before anything is sent."""

    session_id: int
    seed: int
    assignment: Assignment
    replacing: bool
    checked_in_only: bool


class AlreadyConfirmed(ConductorError):
    """The session already has a confirmed assignment; replacing it needs an explicit yes."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            "This session's roles are already confirmed and students have their cards. Replace the "
            "assignment with a new one?"
        )
        self.session_id = session_id


def shown_name(roster: ClassList, user_id: int) -> Rich:
    """A student as named in a message: their display name (shown as typed), or a mention when unknown."""
    name = roster.students.get(user_id)
    return rich(UserText(name, limit=100)) if name else rich(Mention(user_id))


WORD = re.compile(r"(?<![\w-])[\w-]+(?![\w-])")


def in_words(
    text: str, papers: Mapping[str, str], roles: Mapping[str, str], people: Mapping[int, str]
) -> Rich:
    """A solver explanation as users read it: paper titles, role names and student names, not keys and ids."""
    out: list[str | Inline] = []
    at = 0
    for match in WORD.finditer(text):
        token = match.group(0)
        out.append(text[at : match.start()])
        if token in papers:
            out.append(papers[token])
        elif token in roles:
            out.append(roles[token])
        elif token.isdigit() and int(token) in people:
            out.append(bold(UserText(people[int(token)], limit=100)))
        else:
            out.append(token)
        at = match.end()
    out.append(text[at:])
    return rich(*out)
