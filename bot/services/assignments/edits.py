"""`/roles swap|move|add|remove`: the new seats, and only the students they concern told (cards, notices, rooms)."""

from __future__ import annotations

from bot.core.assignment import Assignment, add_student, move, remove_student, swap
from bot.core.errors import ConductorError
from bot.core.message import Rich, bold, rich
from bot.core.statuses import EventKind, SeatStatus, StepStatus
from bot.services.assignments.acknowledgements import Acknowledgements
from bot.services.assignments.changes import Changes
from bot.services.assignments.model import ClassList, EditAction, scope_of, shown_name
from bot.services.assignments.report import Outcome, Tally
from bot.services.assignments.rooms import Rooms
from bot.services.ports import SessionRecord


class Editing(Changes, Rooms, Tally, Acknowledgements):
    """Changes the confirmed assignment and delivers what the change calls for."""

    async def edit(
        self,
        *,
        guild_id: int,
        channel_id: int,
        action: EditAction,
        roster: ClassList,
        actor_id: int,
        student: int,
        other: int | None = None,
        paper: str | None = None,
        role: str | None = None,
    ) -> tuple[Rich, Outcome]:
        """Swap, move, add or remove students in the confirmed assignment; only they get new cards."""
        async with self.uow.read() as tx:
            row = await self._live(tx, guild_id, channel_id)
        async with self._locks[row.id]:
            async with self.uow.begin() as tx:
                row = await self._live(tx, guild_id, channel_id)
                old = await self._confirmed(tx, row.id)
                name = shown_name(roster, student)
                with self._worded(roster):
                    match action:
                        case EditAction.SWAP:
                            assert other is not None
                            if str(other) not in old.seats or str(student) not in old.seats:
                                raise ConductorError(
                                    "Both students need a seat to swap: `/roles add` the other first."
                                )
                            new = swap(old, str(student), str(other))
                            answer = rich(
                                "Swapped ", bold(name), " and ", bold(shown_name(roster, other)), "."
                            )
                        case EditAction.MOVE:
                            assert paper is not None and role is not None
                            paper, role = self._key(paper, "paper"), self._key(role, "role")
                            new = move(old, str(student), paper, role)
                            answer = rich(
                                "Moved ",
                                bold(name),
                                f" to {self.course.role(role).name} on {self.course.paper(paper).title}.",
                            )
                        case EditAction.ADD:
                            history = await tx.seats.history(guild_id, row.id)
                            new = add_student(
                                old, str(student), history=history.get(str(student)), seed=row.seed
                            )
                            seat = new.seats[str(student)]
                            answer = rich(
                                "Added ",
                                bold(name),
                                f" as {self.course.role(seat.role).name} on {self.course.paper(seat.paper).title}.",
                            )
                        case EditAction.REMOVE:
                            new = remove_student(old, str(student))
                            answer = rich("Removed ", bold(name), "; their partners and group were told.")
                        case _:
                            raise ConductorError(f"Unknown change `{action}`.")
                await tx.seats.replace(row.id, SeatStatus.CONFIRMED, new, row.seed, self.clock.now())
                await tx.sessions.log_event(
                    row.id,
                    EventKind(f"roles-{action}"),
                    self.clock.now(),
                    actor_id,
                    student=student,
                    other=other,
                )
                changed = await self._record_change(tx, row, old, new, roster, actor_id)
            outcome = await self._deliver(row, old, new, changed, roster, actor_id)
        return answer, outcome

    async def _deliver(
        self,
        row: SessionRecord,
        old: Assignment,
        new: Assignment,
        changed: list[int],
        roster: ClassList,
        actor_id: int,
    ) -> Outcome:
        """Post the table, sync the threads, DM the changed students their cards, fall back where DMs fail."""
        await self.flush(scope_of(row.id))
        threads, created, public = await self._sync_threads(row, old, new, roster)
        await self._prompt_slides(row, threads)
        notes = await self._tell_groups(row, old, new, roster, threads, actor_id)
        sent, fallbacks, failed, pending = await self._send_cards(row, new, changed, threads, actor_id)
        self.timers.at(
            f"ack-reminder:{row.id}", self.clock.now() + self.course.ack_reminder, self.remind, row.id
        )
        report = await self.tally(row.id)
        if report.rooms_open < report.rooms_total:  # say so: a change never hides a room it could not open
            notes = (*notes, report.rooms_text())
        table = report.table == StepStatus.DONE
        if not table:
            notes = (*notes, report.table_text())
        return Outcome(sent, fallbacks, failed, pending, created, public, notes, table)
