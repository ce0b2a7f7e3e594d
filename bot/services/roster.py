"""The class list: importing it from a CSV (all or nothing) and showing who is matched to Discord."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.errors import ConductorError
from bot.core.roster import (
    DISCORD,
    MAX_BYTES,
    Known,
    Reference,
    RosterView,
    decode,
    match,
    parse_roster,
    resolve,
    same_member,
)
from bot.services.ports import NewRosterEntry, UnitOfWork


@dataclass(frozen=True)
class Members:
    """The guild's members as the roster matches them: username (lower case) -> id, and every member id."""

    usernames: Mapping[str, int]
    ids: frozenset[int]
    students: Mapping[int, str]  # members holding the student role: id -> display name


class RosterProblems(ConductorError):
    """A class list that was not imported, with every problem found (`problems`), one line each."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems = tuple(problems)
        shown = list(problems[:15])
        more = f"\n…and {len(problems) - 15} more." if len(problems) > 15 else ""
        super().__init__(
            "Nothing was imported: fix these rows and upload the file again.\n"
            + "\n".join(f"- {p}" for p in shown)
            + more
        )


class RosterService:
    """Imports and lists a guild's class list; the Discord side hands in who the members are."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def import_csv(self, guild_id: int, filename: str, data: bytes, members: Members) -> RosterView:
        """Replace the guild's class list with the file's, or store nothing and say what to fix."""
        if not filename.casefold().endswith((".csv", ".txt", ".tsv")):
            raise ConductorError(
                "Upload the class list as a `.csv` file (columns: student id, name, Discord)."
            )
        if len(data) > MAX_BYTES:
            raise ConductorError(f"That file is too large ({len(data):,} bytes): at most {MAX_BYTES:,}.")
        return await self.import_text(guild_id, decode(data), members)

    async def import_text(
        self, guild_id: int, text: str, members: Members, reference: Reference = DISCORD
    ) -> RosterView:
        """Replace the guild's class list with the text's rows (CSV or pasted), or store nothing (`RosterProblems`)."""
        parsed = parse_roster(text, reference)
        if parsed.problems:
            raise RosterProblems(parsed.problems)
        matched = match(parsed.rows, members.usernames, members.ids)
        clashes = same_member(parsed.rows, matched, reference)
        if clashes:
            raise RosterProblems(clashes)
        rows = [
            NewRosterEntry(
                student_id=r.student_id, name=r.name, discord_ref=r.discord, user_id=matched[r.line]
            )
            for r in parsed.rows
        ]
        async with self.uow.begin() as tx:
            await tx.roster.replace(guild_id, rows)
        return await self.listing(guild_id, members)

    async def listing(self, guild_id: int, members: Members) -> RosterView:
        """The class list against the server now (students who joined since the import are matched)."""
        async with self.uow.begin() as tx:
            rows = await tx.roster.entries(guild_id)
            taken = {r.user_id for r in rows if r.user_id is not None}
            known = []
            for r in rows:
                user_id = r.user_id
                if user_id is None and r.discord_ref:
                    found = resolve(r.discord_ref, members.usernames, members.ids)
                    if found is not None and found not in taken:
                        await tx.roster.match(r.id, found)
                        user_id = found
                        taken.add(found)
                known.append(Known(r.student_id or "", r.name, r.discord_ref or "", user_id))
        matched = tuple(k for k in known if k.user_id is not None and k.user_id in members.ids)
        missing = tuple(k for k in known if k.user_id is None or k.user_id not in members.ids)
        unlisted = tuple(sorted(u for u in members.students if u not in taken))
        return RosterView(matched, missing, unlisted)
