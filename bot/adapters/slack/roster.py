"""`/roster import` and `/roster list` on Slack: the class list pasted from a spreadsheet, matched to members.

Why pasted: a Slack slash command cannot carry a file, and a file shared in a DM with the app is a second
step apart from the command (and needs the app to read files). A teacher has the class list open in a
spreadsheet: they select the columns (student id, name, e-mail), copy, and paste them into the window
`/roster import` opens. A pasted range arrives tab-separated, which the class-list reader takes, as it
takes a CSV's text; a header row is recognised. Slack's text inputs hold 3,000 characters each (about 55
students), so the window has a few boxes: the rest of a long list goes into the next one, and line
numbers count the whole list, as the spreadsheet does.

Students are matched by e-mail (the members the app knows, else `users.lookupByEmail`, for those who
joined since it read the workspace), or by their Slack name (handle, display name or full name) when the
e-mail is left out. A name two members share matches no one: nothing is guessed. The import is stored
whole or not at all (`RosterService.import_text`); problems are listed above the pasted text, kept.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.adapters.slack.front import UNEXPECTED, Ack, Front
from bot.adapters.slack.ids import to_int
from bot.adapters.slack.modals import (
    TEXT_INPUT_MAX,
    Blocks,
    Reply,
    modal,
    reply_within,
    text_input,
    typed,
    view_text,
)
from bot.adapters.slack.people import Directory
from bot.adapters.slack.scopes import lacking
from bot.core.errors import ConductorError
from bot.core.message import Mention, Message, Rich, UserText, bold, lines, rich
from bot.core.roster import SLACK, Known, RosterView, discord_key, parse_roster
from bot.services.errors import StorageUnavailable
from bot.services.roster import Members, RosterProblems

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)
ROSTER_FORM = "conductor:roster-import"
BOXES = 4  # text inputs of 3,000 characters: about 220 students
#: E-mail addresses looked up per command (users.lookupByEmail allows about 50 a minute).
LOOKUPS_MAX = 30
INTRO = (
    "Copy the class list from your spreadsheet (the columns **student id**, **name** and **e-mail**) and "
    "paste it below. A header row is fine; without one the columns are read in that order. A student "
    "whose e-mail is left out is matched by their name on Slack. Importing **replaces** the class list."
)


def members(people: Directory) -> Members:
    """The workspace's members as the class list matches them: by id, e-mail, handle or name.

    A key two members share (two students called "Anna") is left out, so neither is guessed.
    """
    owners: defaultdict[str, set[str]] = defaultdict(set)
    humans = [p for p in people.people.values() if not p.bot]
    for p in humans:
        for key in (p.id, p.email, p.name, p.shown, p.real_name):
            if key:
                owners[discord_key(key)].add(p.id)
    return Members(
        usernames={key: to_int(next(iter(ids))) for key, ids in owners.items() if len(ids) == 1},
        ids=frozenset(to_int(p.id) for p in humans),
        students={to_int(uid): people.shown(uid) for uid in people.student_ids()},
    )


@dataclass(frozen=True)
class Lookups:
    """What asking Slack for unknown e-mail addresses came to."""

    found: int = 0
    note: str | None = None  # why e-mails cannot be matched (a missing scope), for the answer


async def look_up(people: Directory, refs: Iterable[str]) -> Lookups:
    """Ask Slack for the e-mail addresses among `refs` the app does not know yet (at most `LOOKUPS_MAX`);
    found members join the directory."""
    known = members(people).usernames
    unknown = [r for r in dict.fromkeys(refs) if "@" in r and r not in known]
    found = 0
    for email in unknown[:LOOKUPS_MAX]:
        try:
            found += await people.by_email(email) is not None
        except SlackApiError as error:
            if error.response.get("error") == "missing_scope":
                return Lookups(found, f"E-mail addresses could not be matched. {lacking('users:read.email')}")
            raise
    return Lookups(found)


def _known(k: Known, matched: bool) -> Rich:
    who = Mention(k.user_id) if matched and k.user_id is not None else UserText(k.discord)
    return rich("• ", UserText(k.student_id), " ", UserText(k.name), " (", who, ")")


def roster_message(view: RosterView, title: str, note: str | None = None) -> Message:
    """Who is known (student id, name, member), who is not in the workspace, who is not in the list."""
    out: list[Rich] = [
        rich(bold(title)),
        rich(bold(f"Matched to a Slack member ({len(view.matched)})")),
        *(_known(k, True) for k in view.matched),
        rich(bold(f"In the class list, not in this workspace ({len(view.not_in_server)})")),
        *(_known(k, False) for k in view.not_in_server),
        rich(bold(f"In the class channel, not in the class list ({len(view.not_in_roster)})")),
        *(rich("• ", Mention(u)) for u in view.not_in_roster),
    ]
    if note:
        out.append(rich(note))
    out.append(
        rich(
            "Students not in the workspace are matched once they join (`/roster list` looks again). "
            "Students not in the class list have no student id in exports: add them and import again."
        )
    )
    return Message(text=lines(*out))


def import_view(
    front: Front, pasted: Sequence[str] = (), problems: Sequence[str | Rich] = ()
) -> dict[str, Any]:
    """The window to paste the class list into (`problems`: why the last paste was not imported)."""
    blocks: Blocks = list(front.shown(INTRO).blocks)
    if problems:
        listed = [rich(bold("Nothing was imported: fix these rows and import again."))]
        listed.extend(rich("• ", p) for p in problems)
        blocks.extend(front.shown(lines(*listed)).blocks)
    for i in range(BOXES):
        blocks.append(
            text_input(
                f"rows{i}",
                "Class list" if i == 0 else "More rows (only if the list did not fit above)",
                value=pasted[i] if i < len(pasted) else None,
                multiline=True,
                max_length=TEXT_INPUT_MAX,
                optional=i > 0,
                placeholder="s123456\tAnna Hansen\tanna@example.edu" if i == 0 else None,
            )
        )
    return modal(ROSTER_FORM, view_text("Import the class list"), blocks, submit="Import")


def said_view(front: Front, answer: Any) -> dict[str, Any]:
    """The window once the import is done (or refused), closed with Done."""
    return modal(ROSTER_FORM, view_text("Class list"), list(front.shown(answer).blocks), close="Done")


async def listing(front: Front) -> Message:
    """`/roster list`: the class list against the workspace now (members read again, so students who
    joined since are matched, by name too; e-mails still unknown are looked up)."""
    await front.people.refresh()
    team = front.people.team_id
    view = await front.app.roster.listing(team, members(front.people))
    asked = await look_up(front.people, [k.discord for k in view.not_in_server])
    if asked.found:
        view = await front.app.roster.listing(team, members(front.people))
    return roster_message(view, "Class list", asked.note)


def register(bolt: AsyncApp, front: Front) -> None:
    """Take the pasted class lists."""
    bolt.view(ROSTER_FORM)(_submitted(front))


def _submitted(front: Front) -> Any:
    async def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        pasted = [typed(view, f"rows{i}") for i in range(BOXES)]
        await reply_within(
            ack,
            front.client,
            str(view.get("id")),
            _import(front, user, pasted),
            said_view(front, "Importing the class list…"),
            said_view(front, UNEXPECTED),
            f"the class list import by {user}",
        )

    return handle


async def _import(front: Front, user: str, pasted: list[str]) -> Reply:
    """Import the pasted rows whole, or show the window again with the problems and the rows kept."""
    if not front.people.is_instructor(user):
        return Reply(view=said_view(front, "Only instructors can import the class list."))
    text = "\n".join(p for p in pasted if p.strip())
    parsed = parse_roster(text, SLACK)
    if parsed.problems:
        return Reply(view=import_view(front, pasted, parsed.problems))
    try:
        asked = await look_up(front.people, [r.discord for r in parsed.rows])
        view = await front.app.roster.import_text(front.people.team_id, text, members(front.people), SLACK)
    except RosterProblems as bad:
        return Reply(view=import_view(front, pasted, bad.problems))
    except (ConductorError, StorageUnavailable) as refusal:
        said = refusal.rich if isinstance(refusal, ConductorError) else rich(str(refusal))
        return Reply(view=import_view(front, pasted, [said]))
    total = len(view.matched) + len(view.not_in_server)
    title = (
        f"Imported {total} student(s): {len(view.matched)} matched to a member of this workspace, "
        f"{len(view.not_in_server)} not (yet) in it."
    )
    return Reply(view=said_view(front, roster_message(view, title, asked.note)))
