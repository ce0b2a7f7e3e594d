"""Assigning papers and roles: preview, confirm, edits, role cards that reach everyone, acknowledgements.

Like the session service, every decision runs in one transaction that writes the seats and the posts
they call for (role-card DMs, thread fallbacks, the table) into the outbox; the outbox is delivered
afterwards. Role cards go out concurrently, one outbox scope per student, so discord.py's rate limiter
paces them and one closed DM never holds up the others. Thread creation and membership are the only
direct Discord calls, behind `ThreadPort`.

Confirm is a set of independent, recorded steps (`bot.storage.steps`): the cards (per student, in
`acknowledgements`), each room, the class table and the instructor's report. Cards never wait for rooms,
rooms never wait for each other, what the permissions rule out is not even tried, the table is posted
last saying what happened, and a restart or `/conductor status` does only what is missing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import discord
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.assignment import (
    Assignment,
    AssignmentImpossible,
    RoleSlot,
    add_student,
    move,
    remove_student,
    solve,
    swap,
)
from bot.core.changes import Affected, affected
from bot.core.clock import Clock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.core.timeline import phase_blocks
from bot.needs import ConfirmPlan, confirm_plan, grant, permission_label
from bot.rendering import assignment as render
from bot.rendering import changes as render_changes
from bot.rendering.inert import inert_text
from bot.scheduling import Scheduler
from bot.storage import assignments as store
from bot.storage import names as names_store
from bot.storage import outbox
from bot.storage import sessions as sessions_store
from bot.storage import steps as steps_store
from bot.storage.db import Database
from bot.storage.models import Acknowledgement, AssignmentRow, CheckIn, PostRow, SessionRow, ThreadRow
from bot.storage.steps import StepStatus

if TYPE_CHECKING:
    from bot.app import ConductorBot

log = logging.getLogger(__name__)
Flush = Callable[[str], Awaitable[None]]
# DM channels are opened this many at a time (each card is sent as soon as its channel is open). Opening
# is limited to a few per window; discord.py learns the window from each response's headers, and a crowd
# of concurrent openers spoils that count (it sleeps out whole windows with tokens unused), so a short
# queue keeps the opener at the limit while the cards themselves go out side by side.
DM_OPENS_AT_ONCE = 1


def scope_of(session_id: int) -> str:
    """The outbox scope of a session's assignment posts (table, thread notices, fallbacks)."""
    return f"assign:{session_id}"


def card_scope(session_id: int, user_id: int) -> str:
    """One outbox scope per student's cards, so cards are delivered side by side."""
    return f"card:{session_id}:{user_id}"


class ThreadPort(Protocol):
    """The Discord side of threads: create them, add and remove members."""

    def can_create_private(self, channel_id: int) -> bool:
        """Whether private threads can be made in this channel."""
        ...

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Create a thread; returns its id and whether it is private."""
        ...

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Add members to a thread."""
        ...

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Remove members from a thread."""
        ...

    async def archive(self, thread_id: int) -> None:
        """Archive a thread (members keep reading it; it leaves the channel's active list)."""
        ...

    async def open_dm(self, user_id: int) -> None:
        """Open (or find) the DM channel with a user, so sending the card needs no further request."""
        ...

    def plan(self, channel_id: int) -> ConfirmPlan:
        """What Confirm can do in this channel with the bot's permissions there."""
        ...

    def where(self, channel_id: int) -> str:
        """The channel as users read it (a mention)."""
        ...


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


@dataclass(frozen=True)
class Outcome:
    """What a confirm or edit did, for the instructor's answer."""

    cards_sent: int = 0
    fallbacks: int = 0
    failed: int = 0
    pending: int = 0
    threads_created: int = 0
    public_fallback: bool = False
    notes: tuple[str, ...] = ()
    table_updated: bool = True  # the class table shows the change (False: it could not be posted)

    def summary(self) -> str:
        """A line for the instructor."""
        parts = [f"{self.cards_sent} role card(s) DMed"]
        if self.fallbacks:
            parts.append(f"{self.fallbacks} student(s) with closed DMs pinged in their group thread")
        if self.failed:
            parts.append(f"{self.failed} card(s) could not be delivered")
        if self.pending:
            parts.append(f"{self.pending} card(s) still being retried")
        if self.threads_created:
            parts.append(f"{self.threads_created} thread(s) opened")
        text = "; ".join(parts) + "."
        if self.public_fallback:
            text += (
                " I lack **Create Private Threads** in this channel, so the threads are **public**: grant "
                "it to keep group threads private next time."
            )
        return " ".join([text, *self.notes])


@dataclass(frozen=True)
class Report:
    """What a confirm actually did, counted from the database: for the instructor and the class table."""

    where: str  # the class channel, as a mention
    students: int
    dm: int = 0  # cards delivered by DM
    in_rooms: int = 0  # closed DMs: pinged with a Show my role button in their group room
    in_channel: int = 0  # closed DMs, room not open: pinged in the class channel
    unreached: tuple[int, ...] = ()  # no card and nowhere to ping them
    on_the_way: int = 0  # cards still being retried
    rooms_open: int = 0
    rooms_total: int = 0
    rooms_public: bool = False
    rooms_grant: tuple[str, ...] = ()  # what to grant for the rooms that are not open (when refused)
    table: StepStatus = StepStatus.PENDING
    table_grant: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        """Whether nothing is left to do (all rooms open, the table posted, every student reached)."""
        return (
            self.rooms_open == self.rooms_total
            and self.table == StepStatus.DONE
            and not self.unreached
            and not self.on_the_way
        )

    def _cards(self) -> str:
        parts = [f"{self.dm} of {self.students} role cards sent by DM"]
        if self.in_rooms:
            parts.append(f"{self.in_rooms} student(s) with closed DMs pinged in their group room")
        if self.in_channel:
            parts.append(
                f"{self.in_channel} student(s) with closed DMs pinged in {self.where} (their room is not open)"
            )
        if self.on_the_way:
            parts.append(f"{self.on_the_way} card(s) still being retried")
        if self.unreached:
            who = ", ".join(f"<@{u}>" for u in self.unreached)
            parts.append(
                f"{len(self.unreached)} student(s) could not be reached (DMs closed and nowhere to ping them): "
                f"{who}: tell them to use `/myrole`"
            )
        return "; ".join(parts) + "."

    def rooms_text(self) -> str:
        """The rooms, counted, and what to grant for those not open."""
        if not self.rooms_total:
            return ""
        if self.rooms_open == self.rooms_total:
            text = f"{self.rooms_open} group and partner rooms opened."
            if self.rooms_public:
                text += (
                    " I lack **Create Private Threads** in this channel, so the threads are **public**: grant "
                    "it to keep group threads private next time."
                )
            return text
        missing = self.rooms_total - self.rooms_open
        head = (
            "Group and partner rooms could not be opened"
            if not self.rooms_open
            else f"{self.rooms_open} of {self.rooms_total} group and partner rooms opened; {missing} could not be"
        )
        if self.rooms_grant:
            return (
                f"{head}: grant {grant(self.rooms_grant)} in {self.where}, then run `/conductor status` to "
                "open them."
            )
        return f"{head} (Discord failed): run `/conductor status` to try again."

    def table_text(self) -> str:
        """Whether the class table is posted, and what to grant when it is not."""
        if self.table == StepStatus.DONE:
            return f"The table is posted in {self.where}."
        if self.table == StepStatus.BLOCKED:
            return (
                f"The table is **not** posted in {self.where}: grant {grant(self.table_grant)} there, then run "
                "`/conductor status` to post it."
            )
        if self.table == StepStatus.FAILED:
            return f"The table could not be posted in {self.where} (Discord failed): `/conductor status` tries again."
        return f"The table is still being posted in {self.where}."

    def instructor_text(self) -> str:
        """The counted summary for the instructor."""
        return " ".join(x for x in (self._cards(), self.rooms_text(), self.table_text()) if x)

    def class_text(self) -> str:
        """The line above the class table: only what happened, counted."""
        cards = f"Role cards: {self.dm} sent by DM"
        if self.in_rooms:
            cards += f", {self.in_rooms} as a **Show my role** button in the group room (DMs closed)"
        if self.in_channel:
            cards += f", {self.in_channel} as a **Show my role** button here (DMs closed)"
        if self.on_the_way:
            cards += f", {self.on_the_way} still on their way"
        if self.unreached:
            cards += f", {len(self.unreached)} not delivered"
        lines = ["Every student has a paper and a role.", cards + "."]
        if self.rooms_total and self.rooms_open == self.rooms_total:
            lines.append("Your group and partner rooms are open (threads).")
        elif self.rooms_open:
            lines.append(
                f"{self.rooms_open} of {self.rooms_total} group and partner rooms are open; the others are not "
                "open yet."
            )
        elif self.rooms_total:
            lines.append("The group and partner rooms are not open yet.")
        lines.append("`/myrole` shows your role any time, only to you.")
        return " ".join(lines)


class AlreadyConfirmed(ConductorError):
    """The session already has a confirmed assignment; replacing it needs an explicit yes."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            "This session's roles are already confirmed and students have their cards. Replace the "
            "assignment with a new one?"
        )
        self.session_id = session_id


def shown_name(roster: ClassList, user_id: int) -> str:
    """A student as named in a message: their display name made inert, or a mention when unknown."""
    name = roster.students.get(user_id)
    return inert_text(name, 100) if name else f"<@{user_id}>"


WORD = re.compile(r"(?<![\w-])[\w-]+(?![\w-])")


def in_words(
    text: str, papers: Mapping[str, str], roles: Mapping[str, str], people: Mapping[int, str]
) -> str:
    """A solver explanation as users read it: paper titles, role names and student names, not keys and ids."""

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in papers:
            return papers[token]
        if token in roles:
            return roles[token]
        if token.isdigit() and int(token) in people:
            return f"**{inert_text(people[int(token)], 100)}**"
        return token

    return WORD.sub(word, text)


class AssignmentService:
    """Makes, confirms and edits a session's assignment; knows nothing of Discord beyond ids and a port."""

    def __init__(
        self,
        course: Course,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        flush: Flush,
        threads: ThreadPort,
    ) -> None:
        self.course = course
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.flush = flush
        self.threads = threads
        # The guilds this process serves (all, unless sharded across processes: bot.core.shards).
        self.owns: Callable[[int], bool] | None = None
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    # --- helpers --------------------------------------------------------------------------------

    @property
    def papers(self) -> tuple[str, ...]:
        """The configured paper keys, in configuration order."""
        return tuple(p.key for p in self.course.papers)

    @property
    def roles(self) -> tuple[RoleSlot, ...]:
        """The configured roles as solver slots."""
        return tuple(RoleSlot(r.key, r.min, r.max, r.name) for r in self.course.roles)

    @contextmanager
    def _worded(self, roster: ClassList) -> Iterator[None]:
        """Where the solver's refusals reach users: reworded with titles and names (`in_words`)."""
        try:
            yield
        except AssignmentImpossible as error:
            papers = {p.key: p.title for p in self.course.papers}
            roles = {r.key: r.name for r in self.course.roles}
            text = in_words(str(error), papers, roles, roster.students)
            raise AssignmentImpossible(text, paper=error.paper, role=error.role) from error

    def _key(self, typed: str, kind: str) -> str:
        """A paper or role as typed (key, title or name, any case) to its key; unknown text is kept."""
        named = (
            {p.key: (p.key, p.title) for p in self.course.papers}
            if kind == "paper"
            else {r.key: (r.key, r.name) for r in self.course.roles}
        )
        wanted = typed.strip().casefold()
        return next((k for k, names in named.items() if wanted in {n.casefold() for n in names}), typed)

    async def _live(self, s: AsyncSession, guild_id: int, channel_id: int) -> SessionRow:
        row = await sessions_store.live_in_channel(s, guild_id, channel_id)
        if row is None:
            raise ConductorError(
                f"No session is running in <#{channel_id}>: run `/session start` first, then `/assign`."
            )
        return row

    async def _confirmed(self, s: AsyncSession, session_id: int) -> Assignment:
        rows = await store.seats(s, session_id, "confirmed")
        if not rows:
            raise ConductorError("This session has no confirmed assignment yet: run `/assign` first.")
        return store.to_assignment(rows, self.papers, self.roles)

    # --- preview, confirm, cancel ---------------------------------------------------------------

    async def preview(
        self,
        *,
        guild_id: int,
        channel_id: int,
        roster: ClassList,
        seed: int | None = None,
        replace: bool = False,
        session_id: int | None = None,
    ) -> Preview:
        """Solve for the class (checked-in students when anyone checked in) and store it as the preview."""
        seed = secrets.randbelow(2**31) if seed is None else seed
        now = self.clock.now()
        async with self.db.session() as s, s.begin():
            if session_id is not None:
                row = await s.get(SessionRow, session_id)
                if row is None or row.status not in sessions_store.LIVE:
                    raise ConductorError("That session is over: run `/session start` and `/assign` again.")
            else:
                row = await self._live(s, guild_id, channel_id)
            confirmed = await store.seats(s, row.id, "confirmed")
            if confirmed and not replace:
                raise AlreadyConfirmed(row.id)
            present = await store.checked_in(s, row.id)
            students = [u for u in roster.students if not present or u in present]
            history = await store.history(s, guild_id, row.id)
            with self._worded(roster):  # AssignmentImpossible explains itself; nothing is stored
                assignment = solve(
                    [str(u) for u in students], self.papers, self.roles, history=history, seed=seed
                )
            await store.replace_seats(s, row.id, "preview", assignment, seed, now)
            return Preview(row.id, seed, assignment, bool(confirmed), bool(present))

    async def cancel(self, session_id: int, seed: int) -> str:
        """Drop the preview (only the one shown with this seed)."""
        async with self.db.session() as s, s.begin():
            rows = await store.seats(s, session_id, "preview")
            if not rows or rows[0].seed != seed:
                return "That preview is no longer current: nothing to cancel."
            await store.drop_seats(s, session_id, "preview")
        return "Cancelled: nothing was sent to students."

    async def confirm(self, session_id: int, seed: int, roster: ClassList, actor_id: int) -> Report:
        """Make the preview the session's assignment, then carry out its steps; says what was done, counted.

        One transaction stores the seats, every changed student's card (in the outbox) and the steps still to
        do (rooms, the class table, the instructor's report), so a crash after it loses nothing: the next
        start-up finishes the steps and tells the instructor (`resume`). Cards never wait for rooms, rooms
        never wait for each other, and the class table is posted last, saying what actually happened.
        """
        async with self._locks[session_id]:
            async with self.db.session() as s, s.begin():
                row = await s.get(SessionRow, session_id)
                if row is None or row.status not in sessions_store.LIVE:
                    raise ConductorError("That session is over: run `/session start` and `/assign` again.")
                rows = await store.seats(s, session_id, "preview")
                if not rows or rows[0].seed != seed:
                    raise ConductorError(
                        "That preview is no longer current (it was confirmed, cancelled or reshuffled). "
                        "Run `/assign` again."
                    )
                new = store.to_assignment(rows, self.papers, self.roles)
                old_rows = await store.seats(s, session_id, "confirmed")
                old = store.to_assignment(old_rows, self.papers, self.roles)
                await store.drop_seats(s, session_id, "confirmed")
                for r in rows:
                    r.status = "confirmed"
                row.seed = seed
                sessions_store.log_event(
                    s,
                    session_id,
                    "assign-confirmed",
                    self.clock.now(),
                    actor_id,
                    seed=seed,
                    students=len(rows),
                )
                changed = await self._record_change(s, row, old, new, roster, actor_id, table=False)
                keys = await self._enqueue_cards(s, row, new, changed)
                await steps_store.forget_rooms(s, row.id, set(self._wanted(new, roster)))
                now = self.clock.now()
                await steps_store.mark(s, row.id, steps_store.TABLE, StepStatus.PENDING, now)
                await steps_store.mark(
                    s, row.id, steps_store.REPORT, StepStatus.PENDING, now, actor_id=actor_id
                )
            return await self._carry_out(row, old, new, roster, actor_id, keys)

    async def reported(self, session_id: int) -> None:
        """The instructor has the confirm's report (their interaction was answered): nothing is owed."""
        async with self.db.session() as s, s.begin():
            await steps_store.mark(s, session_id, steps_store.REPORT, StepStatus.DONE, self.clock.now())

    async def report_by_dm(self, session_id: int, actor_id: int, text: str) -> None:
        """Send the instructor the confirm's report by DM (or, DMs closed, in the class channel), once."""
        scope = f"report:{session_id}"
        async with self.db.session() as s, s.begin():
            row = await s.get(SessionRow, session_id)
            assert row is not None
            key = f"report:{len(await outbox.keys(s, scope, 'report:')) + 1}"
            await outbox.enqueue(
                s,
                scope=scope,
                key=key,
                channel_id=actor_id,
                payload=render.change_post([], text, actor_id),
                now=self.clock.now(),
                kind="dm",
            )
            await steps_store.mark(s, session_id, steps_store.REPORT, StepStatus.DONE, self.clock.now())
        await self.flush(scope)
        async with self.db.session() as s, s.begin():
            post = await outbox.find(s, scope, key)
            if post is None or post.status != "failed" or not self.threads.plan(row.channel_id).posts:
                return
            await outbox.enqueue(
                s,
                scope=scope,
                key=f"{key}:here",
                channel_id=row.channel_id,
                payload=render.change_post([actor_id], f"<@{actor_id}> {text}", actor_id),
                now=self.clock.now(),
            )
        await self.flush(scope)

    async def _carry_out(
        self,
        row: SessionRow,
        old: Assignment,
        new: Assignment,
        roster: ClassList,
        actor_id: int,
        keys: Mapping[int, str],
    ) -> Report:
        """The confirm's steps: cards and rooms side by side, then fallbacks, then the class table."""
        plan = self.threads.plan(row.channel_id)
        rooms = asyncio.create_task(self._sync_rooms(row, old, new, roster, plan))
        await self._fan_out(row, keys)
        threads = await rooms
        await self._prompt_slides(row, threads)
        await self._tell_groups(row, old, new, roster, threads, actor_id)
        await self._settle_cards(row, new, keys, threads, actor_id, plan)
        self.scheduler.at(
            f"ack-reminder:{row.id}", self.clock.now() + self.course.ack_reminder, self.remind, row.id
        )
        await self._post_table(row, new, roster, actor_id, plan)
        return await self.tally(row.id)

    async def unfinished(self, guild_id: int, channel_id: int) -> bool:
        """Whether this channel's confirm left something undone (a room, the table, an unreached student)."""
        async with self.db.session() as s:
            row = await sessions_store.live_in_channel(s, guild_id, channel_id)
            if row is None or not await steps_store.all_of(s, row.id):
                return False
        return not (await self.tally(row.id)).finished

    async def finish(self, guild_id: int, channel_id: int, roster: ClassList) -> Report | None:
        """Do what a confirm in this channel could not (rooms, the table, unreached students); None: nothing to do.

        Runs on `/conductor status`, typically after a missing permission was granted: what was done already
        (cards delivered, rooms open) is not done again.
        """
        async with self.db.session() as s:
            row = await sessions_store.live_in_channel(s, guild_id, channel_id)
            if row is None:
                return None
            done = await steps_store.all_of(s, row.id)
            rows = await store.seats(s, row.id, "confirmed")
        if not rows or not done or (await self.tally(row.id)).finished:
            return None
        if self._locks[row.id].locked():
            return None  # the confirm itself is still running (or being resumed): it reports when done
        report = done.get(steps_store.REPORT)
        actor_id = (report.actor_id if report else None) or row.created_by
        async with self._locks[row.id]:
            a = store.to_assignment(rows, self.papers, self.roles)
            plan = self.threads.plan(row.channel_id)
            threads = await self._sync_rooms(row, a, a, roster, plan)
            await self._prompt_slides(row, threads)
            await self._reach_unreached(row, a, threads, plan, actor_id)
            await self._post_table(row, a, roster, actor_id, plan)
            if report is not None and report.status == StepStatus.PENDING:
                await self.reported(row.id)  # a confirm that failed half-way: this answer is its report
            return await self.tally(row.id)

    async def resume(self, roster_for: Callable[[int], ClassList]) -> None:
        """At start-up, once connected: finish every confirm a stop cut short and tell its instructor what was done."""
        async with self.db.session() as s:
            owed = await steps_store.sessions_with(s, steps_store.REPORT, StepStatus.PENDING)
        for session_id in owed:
            async with self.db.session() as s:
                row = await s.get(SessionRow, session_id)
                if row is None or (self.owns is not None and not self.owns(row.guild_id)):
                    continue  # gone, or another process's guild (sharded)
                actor_id = (await steps_store.all_of(s, session_id))[steps_store.REPORT].actor_id
                a = store.to_assignment(
                    await store.seats(s, session_id, "confirmed"), self.papers, self.roles
                )
                keys = await self._pending_cards(s, session_id, a)
            actor_id = actor_id or row.created_by
            if row.status not in sessions_store.LIVE or not a.seats:
                await self.reported(session_id)
                continue
            log.info("session %s: finishing a confirm cut short (%d card(s) pending)", session_id, len(keys))
            async with self._locks[session_id]:
                report = await self._carry_out(row, a, a, roster_for(row.guild_id), actor_id, keys)
            text = (
                "I was stopped while confirming the assignment and have now finished it. "
                f"Confirmed for {report.students} students. {report.instructor_text()} "
                "Follow acknowledgements with `/roles status`."
            )
            await self.report_by_dm(session_id, actor_id, text)

    # --- edits ----------------------------------------------------------------------------------

    async def edit(
        self,
        *,
        guild_id: int,
        channel_id: int,
        action: str,
        roster: ClassList,
        actor_id: int,
        student: int,
        other: int | None = None,
        paper: str | None = None,
        role: str | None = None,
    ) -> tuple[str, Outcome]:
        """Swap, move, add or remove students in the confirmed assignment; only they get new cards."""
        async with self.db.session() as s:
            row = await self._live(s, guild_id, channel_id)
        async with self._locks[row.id]:
            async with self.db.session() as s, s.begin():
                row = await self._live(s, guild_id, channel_id)
                old = await self._confirmed(s, row.id)
                name = shown_name(roster, student)
                with self._worded(roster):
                    if action == "swap":
                        assert other is not None
                        if str(other) not in old.seats or str(student) not in old.seats:
                            raise ConductorError(
                                "Both students need a seat to swap: `/roles add` the other first."
                            )
                        new = swap(old, str(student), str(other))
                        answer = f"Swapped **{name}** and **{shown_name(roster, other)}**."
                    elif action == "move":
                        assert paper is not None and role is not None
                        paper, role = self._key(paper, "paper"), self._key(role, "role")
                        new = move(old, str(student), paper, role)
                        answer = f"Moved **{name}** to {self.course.role(role).name} on {self.course.paper(paper).title}."
                    elif action == "add":
                        history = await store.history(s, guild_id, row.id)
                        new = add_student(old, str(student), history=history.get(str(student)), seed=row.seed)
                        seat = new.seats[str(student)]
                        answer = (
                            f"Added **{name}** as {self.course.role(seat.role).name} on "
                            f"{self.course.paper(seat.paper).title}."
                        )
                    elif action == "remove":
                        new = remove_student(old, str(student))
                        answer = f"Removed **{name}**; their partners and group were told."
                    else:
                        raise ConductorError(f"Unknown change `{action}`.")
                await store.replace_seats(s, row.id, "confirmed", new, row.seed, self.clock.now())
                sessions_store.log_event(
                    s, row.id, f"roles-{action}", self.clock.now(), actor_id, student=student, other=other
                )
                changed = await self._record_change(s, row, old, new, roster, actor_id)
            outcome = await self._deliver(row, old, new, changed, roster, actor_id)
        return answer, outcome

    # --- the shared machinery ---------------------------------------------------------------------

    async def _record_change(
        self,
        s: AsyncSession,
        row: SessionRow,
        old: Assignment,
        new: Assignment,
        roster: ClassList,
        actor_id: int,
        table: bool = True,
    ) -> list[int]:
        """Reset acknowledgements of students whose seat changed; write the card edits, the table or its edit.

        The table is written only with `table`. The seated students' display names are stored too, so
        exports need no live Discord connection.
        """
        changes = affected(old.seats, new.seats)
        changed = sorted(int(u) for u in changes.new_cards)
        await self._edit_cards(s, row, new, changes)
        seated = {int(u): roster.students[int(u)] for u in new.seats if int(u) in roster.students}
        await names_store.remember(s, row.guild_id, seated, self.clock.now())
        for uid in changed:
            await store.reset_acknowledgement(s, row.id, uid)
        await store.drop_acknowledgements(s, row.id, {int(u): None for u in new.seats})
        if not table:  # Confirm posts the table last, once it knows what happened (`_post_table`)
            return changed
        names = dict(roster.students)
        scope = scope_of(row.id)
        tables = sorted(await outbox.keys(s, scope, "table"))
        table_keys = [k for k in tables if k.startswith("table:")]
        now = self.clock.now()
        if not table_keys:
            body = render.table_post(new, self.course, names, actor_id)
            await outbox.enqueue(
                s, scope=scope, key="table:1", channel_id=row.channel_id, payload=body, now=now
            )
        else:
            body = render.table_post(new, self.course, names, actor_id, edited=True)
            body["target"] = table_keys[-1]
            edits = len([k for k in tables if k.startswith("table-edit:")])
            await outbox.enqueue(
                s,
                scope=scope,
                key=f"table-edit:{edits + 1}",
                channel_id=row.channel_id,
                payload=body,
                now=now,
                kind="edit",
            )
        return changed

    def _wanted(self, a: Assignment, roster: ClassList) -> dict[str, set[int]]:
        """Who belongs in which thread: each paper group (plus its teachers) and each role-partner set."""
        wanted: dict[str, set[int]] = {}
        for paper in a.papers:
            group = {int(u) for u in a.group(paper)}
            if group:
                wanted[f"group:{paper}"] = group | set(roster.teachers.get(paper, ()))
            for slot in a.roles:
                members = {int(u) for u in a.members(paper, slot.key)}
                if members:
                    wanted[f"partners:{paper}:{slot.key}"] = members
        return wanted

    def _thread_name(self, key: str) -> str:
        parts = key.split(":")
        title = self.course.paper(parts[1]).title
        if parts[0] == "group":
            return f"{title} - group"[:100]
        return f"{title} - {self.course.role(parts[2]).plural}"[:100]

    async def _sync_threads(
        self, row: SessionRow, old: Assignment, new: Assignment, roster: ClassList
    ) -> tuple[dict[str, int], int, bool]:
        """Open missing rooms and bring every open room's members in line with the new assignment."""
        async with self.db.session() as s:
            before = set((await store.threads(s, row.id)).keys())
        threads = await self._sync_rooms(row, old, new, roster, self.threads.plan(row.channel_id))
        async with self.db.session() as s:
            public = any(not t.private for k, t in (await store.threads(s, row.id)).items() if k in threads)
        return threads, len(set(threads) - before), public

    def _room_failure(self, channel_id: int, error: BaseException) -> tuple[StepStatus, str | None]:
        """A room Discord would not open: blocked for a permission (named), or failed."""
        if isinstance(error, discord.Forbidden):
            return StepStatus.BLOCKED, "|".join(self.threads.plan(channel_id).rooms_grant) or None
        log.warning("could not open a room in channel %s: %r", channel_id, error)
        return StepStatus.FAILED, f"{error!r}"[:300]

    async def _sync_rooms(
        self, row: SessionRow, old: Assignment, new: Assignment, roster: ClassList, plan: ConfirmPlan
    ) -> dict[str, int]:
        """Open every wanted room not open yet, each on its own, and adjust open rooms' members; returns the open rooms.

        A room is open once it exists and its members were added; each room's step records how it went
        (blocked rooms name the permission to grant), so a later run opens only what is missing.
        """
        before, after = self._wanted(old, roster), self._wanted(new, roster)
        async with self.db.session() as s:
            existing = {k: t.thread_id for k, t in (await store.threads(s, row.id)).items()}
            steps = await steps_store.all_of(s, row.id)

        def is_open(key: str) -> bool:
            step = steps.get(steps_store.room_key(key))
            return key in existing and (step is None or step.status == StepStatus.DONE)

        opening = [k for k in sorted(after) if not is_open(k)]
        results: dict[str, tuple[StepStatus, str | None]] = {}
        adds: dict[str, Awaitable[None]] = {}
        if opening and not plan.rooms:  # known before acting: no request Discord would refuse
            results = {k: (StepStatus.BLOCKED, "|".join(plan.rooms_grant) or None) for k in opening}
        else:
            private = plan.private
            for key in opening:
                try:
                    if key not in existing:
                        thread_id, is_private = await self.threads.create(
                            row.channel_id, self._thread_name(key), private
                        )
                        private = private and is_private
                        existing[key] = thread_id
                        async with self.db.session() as s, s.begin():
                            s.add(
                                ThreadRow(session_id=row.id, key=key, thread_id=thread_id, private=is_private)
                            )
                            await steps_store.mark(
                                s, row.id, steps_store.room_key(key), StepStatus.PENDING, self.clock.now()
                            )
                    adds[key] = self.threads.add(existing[key], sorted(after[key]))
                except (discord.HTTPException, OSError, ConductorError) as error:
                    results[key] = self._room_failure(row.channel_id, error)
        jobs: list[Awaitable[None]] = []
        for key in sorted(set(before) | set(after)):
            if key in opening or key not in existing:
                continue
            want, had = after.get(key, set()), before.get(key, set())
            if want - had:
                jobs.append(self.threads.add(existing[key], sorted(want - had)))
            if had - want:
                jobs.append(self.threads.remove(existing[key], sorted(had - want)))
        added = await asyncio.gather(*adds.values(), return_exceptions=True)
        for key, result in zip(adds, added, strict=True):
            if isinstance(result, BaseException):
                results[key] = self._room_failure(row.channel_id, result)
            else:
                results[key] = (StepStatus.DONE, None)
        for result in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("thread membership change failed in session %s: %r", row.id, result)
        if results:
            async with self.db.session() as s, s.begin():
                for key, (status, detail) in results.items():
                    await steps_store.mark(
                        s, row.id, steps_store.room_key(key), status, self.clock.now(), detail
                    )
        return {
            k: existing[k]
            for k in after
            if k in existing and (k not in opening or results[k][0] == StepStatus.DONE)
        }

    async def _deliver(
        self,
        row: SessionRow,
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
        self.scheduler.at(
            f"ack-reminder:{row.id}", self.clock.now() + self.course.ack_reminder, self.remind, row.id
        )
        report = await self.tally(row.id)
        if report.rooms_open < report.rooms_total:  # say so: a change never hides a room it could not open
            notes = (*notes, report.rooms_text())
        table = report.table == StepStatus.DONE
        if not table:
            notes = (*notes, report.table_text())
        return Outcome(sent, fallbacks, failed, pending, created, public, notes, table)

    async def _prompt_slides(self, row: SessionRow, threads: Mapping[str, int]) -> None:
        """Once per group thread, its first post: submit the slides link here (with the button)."""
        scope = scope_of(row.id)
        async with self.db.session() as s, s.begin():
            for key, thread in sorted(threads.items()):
                if key.startswith("group:"):
                    await outbox.enqueue(
                        s,
                        scope=scope,
                        key=f"slides-prompt:{key}",
                        channel_id=thread,
                        payload=render.slides_prompt(row.id, self.course.paper(key.split(":", 1)[1])),
                        now=self.clock.now(),
                    )
        await self.flush(scope)

    async def _tell_groups(
        self,
        row: SessionRow,
        old: Assignment,
        new: Assignment,
        roster: ClassList,
        threads: Mapping[str, int],
        actor_id: int,
    ) -> tuple[str, ...]:
        """In every group and partner thread a move touched: what changed, pinging everyone in it now.

        Also delivers the in-place edits of role cards that `_record_change` decided (refreshed partners,
        withdrawn cards); replaced cards go out with the new ones.
        """
        if not old.seats:
            return ()
        changes = affected(old.seats, new.seats)
        scope = scope_of(row.id)
        async with self.db.session() as s, s.begin():
            n = len(await outbox.keys(s, scope, "notice:"))
            for notice in changes.notices:
                thread = threads.get(notice.key)
                if thread is None:
                    continue
                n += 1
                await outbox.enqueue(
                    s,
                    scope=scope,
                    key=f"notice:{n}",
                    channel_id=thread,
                    payload=render_changes.notice_post(notice, self.course, roster.students, actor_id),
                    now=self.clock.now(),
                )
        edited = sorted({int(u) for u in (*changes.refreshed, *changes.withdrawn)})
        await asyncio.gather(self.flush(scope), *(self.flush(card_scope(row.id, u)) for u in edited))
        told = sum(1 for notice in changes.notices if notice.key in threads)
        if not told and not changes.refreshed:
            return ()
        return (
            f"{told} thread(s) told, pinging everyone in them; {len(changes.refreshed)} other card(s) "
            "updated in place with their current partners.",
        )

    async def _latest_card(self, s: AsyncSession, session_id: int, user_id: int) -> PostRow | None:
        """A student's newest role-card post in this session (keys "card:1", "card:2", ...), if any."""
        scope = card_scope(session_id, user_id)
        keys = await outbox.keys(s, scope, "card:")
        if not keys:
            return None
        return await outbox.find(s, scope, max(keys, key=lambda k: int(k.split(":")[1])))

    async def _edit_cards(self, s: AsyncSession, row: SessionRow, new: Assignment, changes: Affected) -> None:
        """Edit, in place, the DMed cards a change makes wrong: other partners now, replaced, or withdrawn."""
        edits: list[tuple[int, dict[str, Any]]] = []
        for student in changes.refreshed:
            uid = int(student)
            card = self._card(row, new, uid)
            content = (
                f"Your role for today's reading group: **{card.role.name}** on **{card.paper.title}**. "
                "(Updated: your role-partners changed.)"
            )
            edits.append((uid, render.card_post(card, content)))
        # A stale card is marked so in the same transaction as the seats: its buttons stop acting at once,
        # before the edit (or the new card) reaches Discord.
        for student in changes.withdrawn:
            edits.append((int(student), {**render_changes.withdrawn_card(None), "stale": "withdrawn"}))
        for student in changes.new_cards:
            edits.append((int(student), {**render_changes.replaced_card(None), "stale": "replaced"}))
        now = self.clock.now()
        for uid, body in edits:
            target = await self._latest_card(s, row.id, uid)
            if target is None:
                continue  # never had a card (a late arrival): the new card is all there is
            if body.get("view") is None:  # a stale card keeps its buttons: they answer why they no longer act
                body["view"] = target.payload.get("view")
            body["target"] = target.key
            scope = card_scope(row.id, uid)
            n = len(await outbox.keys(s, scope, "card-edit:")) + 1
            await outbox.enqueue(
                s, scope=scope, key=f"card-edit:{n}", channel_id=uid, payload=body, now=now, kind="dm-edit"
            )

    async def _card_refusal(
        self, s: AsyncSession, session_id: int, user_id: int, message_id: int | None
    ) -> str | None:
        """Why a button on this card message must not act (a replaced or withdrawn card), or None."""
        if message_id is None:
            return None
        scope = card_scope(session_id, user_id)
        pressed = await s.scalar(
            select(PostRow).where(
                PostRow.scope == scope, PostRow.key.startswith("card:"), PostRow.message_id == message_id
            )
        )
        if pressed is None:
            return None  # not a DMed card (e.g. `/myrole`'s): it is rendered from the current seat
        edits = await s.scalars(
            select(PostRow)
            .where(PostRow.scope == scope, PostRow.key.startswith("card-edit:"))
            .order_by(PostRow.id)
        )
        marks = [
            e.payload["stale"]
            for e in edits
            if e.payload.get("target") == pressed.key and "stale" in e.payload
        ]
        latest = await self._latest_card(s, session_id, user_id)
        if (latest is not None and latest.key != pressed.key) or marks[-1:] == ["replaced"]:
            return (
                "This card was replaced: see your new card (the newest one in your DMs, or `/myrole`). "
                "Nothing was changed."
            )
        seated = await s.scalar(
            select(AssignmentRow.id).where(
                AssignmentRow.session_id == session_id,
                AssignmentRow.user_id == user_id,
                AssignmentRow.status == "confirmed",
            )
        )
        if seated is None:
            return (
                "This card was withdrawn: you no longer hold a role in this session. If you are here, ask "
                "the instructor to `/roles add` you."
            )
        return None

    def _timeline(self, row: SessionRow) -> tuple[tuple[str, datetime, datetime], ...]:
        timeline = sessions_store.timeline_of(row)
        out: list[tuple[str, datetime, datetime]] = []
        for key, name, start, end, _ in phase_blocks(timeline):
            phase = self.course.phases.get(key)
            out.append((phase.name if phase else name, start, end))
        return tuple(out)

    def _card(self, row: SessionRow, a: Assignment, user_id: int) -> render.CardInfo:
        seat = a.seats[str(user_id)]
        paper = self.course.paper(seat.paper)
        return render.CardInfo(
            session_id=row.id,
            user_id=user_id,
            paper=paper,
            role=self.course.role(seat.role),
            partners=tuple(int(u) for u in a.partners(str(user_id))),
            teachers=paper.teachers,
            timeline=self._timeline(row),
        )

    async def _enqueue_cards(
        self, s: AsyncSession, row: SessionRow, a: Assignment, users: list[int]
    ) -> dict[int, str]:
        """Write each student's card into their own outbox scope; returns user -> card post key."""
        keys: dict[int, str] = {}
        for uid in users:
            scope = card_scope(row.id, uid)
            key = f"card:{len(await outbox.keys(s, scope, 'card:')) + 1}"
            await outbox.enqueue(
                s,
                scope=scope,
                key=key,
                channel_id=uid,
                payload=render.card_post(self._card(row, a, uid)),
                now=self.clock.now(),
                kind="dm",
            )
            keys[uid] = key
        return keys

    async def _fan_out(self, row: SessionRow, keys: Mapping[int, str]) -> None:
        """Deliver the cards side by side (a DM channel opened just before each card)."""
        gate = asyncio.Semaphore(DM_OPENS_AT_ONCE)

        async def deliver(uid: int) -> None:
            async with gate:
                try:
                    await self.threads.open_dm(uid)
                except (discord.HTTPException, OSError) as error:  # the card's own delivery retries
                    log.warning("could not open a DM channel with %s: %r", uid, error)
            await self.flush(card_scope(row.id, uid))

        await asyncio.gather(*(deliver(uid) for uid in keys))

    async def _send_cards(
        self, row: SessionRow, a: Assignment, users: list[int], threads: Mapping[str, int], actor_id: int
    ) -> tuple[int, int, int, int]:
        """DM each student their card, side by side; a refused DM becomes a ping in their group thread."""
        async with self.db.session() as s, s.begin():
            keys = await self._enqueue_cards(s, row, a, users)
        await self._fan_out(row, keys)
        plan = self.threads.plan(row.channel_id)
        return await self._settle_cards(row, a, keys, threads, actor_id, plan)

    async def _settle_cards(
        self,
        row: SessionRow,
        a: Assignment,
        keys: Mapping[int, str],
        threads: Mapping[str, int],
        actor_id: int,
        plan: ConfirmPlan | None = None,
    ) -> tuple[int, int, int, int]:
        """Record how each card went (`keys`: user -> card post key); a refused DM becomes a ping.

        The ping goes to the student's group room, or to the class channel while the room is not open; when
        `plan` says the class channel cannot be posted in either, the student is recorded as unreached.
        """
        users = list(keys)
        sent = fallbacks = failed = pending = 0
        scope = scope_of(row.id)
        async with self.db.session() as s, s.begin():
            acks = await store.acknowledgements(s, row.id)
            for uid in users:
                post = await outbox.find(s, card_scope(row.id, uid), keys[uid])
                ack = acks.get(uid) or Acknowledgement(session_id=row.id, user_id=uid, delivery="pending")
                s.add(ack)
                if post is None or post.status == "pending":
                    pending += 1
                    continue
                if post.status == "sent":
                    ack.delivery, ack.delivered_at = "dm", post.sent_at
                    sent += 1
                    continue
                seat = a.seats[str(uid)]
                where = threads.get(f"group:{seat.paper}")
                if where is None and plan is not None and not plan.posts:
                    ack.delivery = "failed"
                    failed += 1
                    continue
                where = where or row.channel_id
                ack.delivery = "fallback"
                fallbacks += 1
                await outbox.enqueue(
                    s,
                    scope=scope,
                    key=f"fallback:{uid}:{keys[uid]}",
                    channel_id=where,
                    payload=render.fallback_post(row.id, uid, actor_id),
                    now=self.clock.now(),
                )
        await self.flush(scope)
        async with self.db.session() as s, s.begin():
            acks = await store.acknowledgements(s, row.id)
            for uid in users:
                post = await outbox.find(s, scope, f"fallback:{uid}:{keys[uid]}")
                if post is not None and post.status == "failed" and uid in acks:
                    acks[uid].delivery = "failed"
                    fallbacks -= 1
                    failed += 1
        return sent, fallbacks, failed, pending

    async def _reach_unreached(
        self, row: SessionRow, a: Assignment, threads: Mapping[str, int], plan: ConfirmPlan, actor_id: int
    ) -> None:
        """Students no card or ping reached: ping them now in their group room (or the class channel)."""
        scope = scope_of(row.id)
        tried: dict[int, str] = {}
        async with self.db.session() as s, s.begin():
            for uid, ack in (await store.acknowledgements(s, row.id)).items():
                if ack.delivery != "failed" or str(uid) not in a.seats:
                    continue
                where = threads.get(f"group:{a.seats[str(uid)].paper}")
                if where is None and not plan.posts:
                    continue
                key = f"fallback:{uid}:retry:{len(await outbox.keys(s, scope, f'fallback:{uid}:')) + 1}"
                await outbox.enqueue(
                    s,
                    scope=scope,
                    key=key,
                    channel_id=where or row.channel_id,
                    payload=render.fallback_post(row.id, uid, actor_id),
                    now=self.clock.now(),
                )
                tried[uid] = key
        if not tried:
            return
        await self.flush(scope)
        async with self.db.session() as s, s.begin():
            acks = await store.acknowledgements(s, row.id)
            for uid, key in tried.items():
                post = await outbox.find(s, scope, key)
                if post is not None and post.status == "sent":
                    acks[uid].delivery = "fallback"

    async def _post_table(
        self, row: SessionRow, a: Assignment, roster: ClassList, actor_id: int, plan: ConfirmPlan
    ) -> None:
        """The class table, last, saying what happened; posted once, then edited when the facts change."""
        text = (await self.tally(row.id)).class_text()
        scope = scope_of(row.id)
        names = dict(roster.students)
        key: str | None  # the table post this round waits for, if any
        async with self.db.session() as s, s.begin():
            posted = None
            for key in sorted(await outbox.keys(s, scope, "table:"), key=lambda k: int(k.split(":")[1])):
                post = await outbox.find(s, scope, key)
                if post is not None and post.status == "sent":
                    posted = post
            if posted is not None:
                edits = sorted(await outbox.keys(s, scope, "table-edit:"))
                latest = posted.payload
                for key in edits:
                    edit = await outbox.find(s, scope, key)
                    if edit is not None and edit.payload.get("target") == posted.key:
                        latest = edit.payload
                body = render.table_post(a, self.course, names, actor_id, edited=True, content=text)
                body["target"] = posted.key
                if (latest.get("content"), latest.get("embeds")) == (body["content"], body["embeds"]):
                    key = None
                else:
                    key = f"table-edit:{len(edits) + 1}"
                    await outbox.enqueue(
                        s,
                        scope=scope,
                        key=key,
                        channel_id=row.channel_id,
                        payload=body,
                        now=self.clock.now(),
                        kind="edit",
                    )
            elif not plan.table:  # known before acting: the class is told nothing rather than half
                await steps_store.mark(
                    s,
                    row.id,
                    steps_store.TABLE,
                    StepStatus.BLOCKED,
                    self.clock.now(),
                    "|".join(plan.table_grant),
                )
                return
            else:
                key = f"table:{len(await outbox.keys(s, scope, 'table:')) + 1}"
                await outbox.enqueue(
                    s,
                    scope=scope,
                    key=key,
                    channel_id=row.channel_id,
                    payload=render.table_post(a, self.course, names, actor_id, content=text),
                    now=self.clock.now(),
                )
        await self.flush(scope)
        async with self.db.session() as s, s.begin():
            post = await outbox.find(s, scope, key) if key else None
            status, detail = StepStatus.DONE, None
            if post is not None and post.status == "pending":
                status = StepStatus.PENDING
            elif post is not None and post.status == "failed":
                refused = (post.error or "").split(":")[0] in {"50001", "50013"}
                fresh = self.threads.plan(row.channel_id)
                status = StepStatus.BLOCKED if refused else StepStatus.FAILED
                detail = "|".join(fresh.table_grant) if refused else post.error
            if posted is not None:  # the table is out already; an edit that fails does not undo that
                status, detail = StepStatus.DONE, None
            await steps_store.mark(s, row.id, steps_store.TABLE, status, self.clock.now(), detail)

    async def tally(self, session_id: int) -> Report:
        """What a session's confirm has done so far, counted from the database."""
        scope = scope_of(session_id)
        async with self.db.session() as s:
            row = await s.get(SessionRow, session_id)
            assert row is not None
            a = store.to_assignment(await store.seats(s, session_id, "confirmed"), self.papers, self.roles)
            acks = await store.acknowledgements(s, session_id)
            steps = await steps_store.all_of(s, session_id)
            threads = await store.threads(s, session_id)
            fallback_at: dict[int, int] = {}
            for key in sorted(await outbox.keys(s, scope, "fallback:")):
                post = await outbox.find(s, scope, key)
                if post is not None and post.status == "sent":
                    fallback_at[int(key.split(":")[1])] = post.channel_id
            table_sent = False
            for key in await outbox.keys(s, scope, "table:"):
                post = await outbox.find(s, scope, key)
                table_sent = table_sent or (post is not None and post.status == "sent")
        wanted = self._wanted(a, ClassList({}))
        open_rooms = []
        grants: list[str] = []
        for key in wanted:
            step = steps.get(steps_store.room_key(key))
            if key in threads and (step is None or step.status == StepStatus.DONE):
                open_rooms.append(key)
            elif step is not None and step.status == StepStatus.BLOCKED and step.detail:
                grants += [g for g in step.detail.split("|") if g not in grants]
        seated = {int(u) for u in a.seats}
        delivery = {uid: ack.delivery for uid, ack in acks.items() if uid in seated}
        in_channel = sum(
            1 for uid, d in delivery.items() if d == "fallback" and fallback_at.get(uid) == row.channel_id
        )
        table = steps.get(steps_store.TABLE)
        table_status = (
            StepStatus.DONE if table_sent else StepStatus(table.status) if table else StepStatus.DONE
        )
        order = [
            permission_label(attr)
            for attr in (
                "view_channel",
                "create_private_threads",
                "create_public_threads",
                "send_messages_in_threads",
                "manage_threads",
            )
        ]
        grants.sort(key=lambda g: order.index(g) if g in order else len(order))
        return Report(
            where=self.threads.where(row.channel_id),
            students=len(seated),
            dm=sum(1 for d in delivery.values() if d == "dm"),
            in_rooms=sum(1 for d in delivery.values() if d == "fallback") - in_channel,
            in_channel=in_channel,
            unreached=tuple(sorted(uid for uid, d in delivery.items() if d == "failed")),
            on_the_way=sum(1 for uid in seated if delivery.get(uid, "pending") == "pending"),
            rooms_open=len(open_rooms),
            rooms_total=len(wanted),
            rooms_public=any(not threads[k].private for k in open_rooms),
            rooms_grant=tuple(grants),
            table=table_status,
            table_grant=tuple((table.detail or "").split("|")) if table and table.detail else (),
        )

    # --- students ------------------------------------------------------------------------------------

    async def _seat_of(self, s: AsyncSession, session_id: int, user_id: int) -> tuple[SessionRow, Assignment]:
        row = await s.get(SessionRow, session_id)
        if row is None:
            raise ConductorError("That session no longer exists.")
        a = store.to_assignment(await store.seats(s, session_id, "confirmed"), self.papers, self.roles)
        if str(user_id) not in a.seats:
            raise ConductorError(
                "You have no role in this session. If you just arrived, ask the instructor to `/roles add` you."
            )
        return row, a

    async def card(self, session_id: int, user_id: int) -> render.CardInfo:
        """A student's card for a session (marks it opened)."""
        async with self.db.session() as s, s.begin():
            row, a = await self._seat_of(s, session_id, user_id)
            ack = (await store.acknowledgements(s, session_id)).get(user_id)
            if ack is not None and ack.opened_at is None:
                ack.opened_at = self.clock.now()
            return self._card(row, a, user_id)

    async def my_session(self, user_id: int, guild_id: int | None, channel_id: int | None) -> int:
        """The live session in which this student has a seat (this channel's first)."""
        async with self.db.session() as s:
            query = (
                select(SessionRow)
                .join(AssignmentRow, AssignmentRow.session_id == SessionRow.id)
                .where(
                    AssignmentRow.user_id == user_id,
                    AssignmentRow.status == "confirmed",
                    SessionRow.status.in_(sessions_store.LIVE),
                )
                .order_by(SessionRow.id.desc())
            )
            if guild_id is not None:
                query = query.where(SessionRow.guild_id == guild_id)
            rows = list(await s.scalars(query))
        if not rows:
            raise ConductorError(
                "You have no role in a running session yet. Roles appear once the instructor confirms `/assign`."
            )
        for r in rows:
            if r.channel_id == channel_id:
                return r.id
        return rows[0].id

    async def card_refusal(self, session_id: int, user_id: int, message_id: int | None) -> str | None:
        """Why a button pressed on this card message must not act (replaced or withdrawn), or None."""
        async with self.db.session() as s:
            return await self._card_refusal(s, session_id, user_id, message_id)

    async def acknowledge(self, session_id: int, user_id: int, message_id: int | None = None) -> str:
        """The student pressed Got it (on the card `message_id`; a replaced card changes nothing)."""
        async with self.db.session() as s, s.begin():
            refusal = await self._card_refusal(s, session_id, user_id, message_id)
            if refusal is not None:
                return refusal
            await self._seat_of(s, session_id, user_id)
            ack = (await store.acknowledgements(s, session_id)).get(user_id)
            if ack is None:
                ack = Acknowledgement(session_id=session_id, user_id=user_id, delivery="dm")
                s.add(ack)
            now = self.clock.now()
            if ack.acknowledged_at is not None:
                return "Already noted: you have your role. See it again any time with `/myrole`."
            ack.acknowledged_at = now
            ack.opened_at = ack.opened_at or now
        return "Got it: your teacher can see you have your role. Good reading!"

    async def status(self, guild_id: int, channel_id: int) -> list[render.StatusLine]:
        """Every seated student's card delivery and acknowledgement."""
        async with self.db.session() as s:
            row = await self._live(s, guild_id, channel_id)
            a = await self._confirmed(s, row.id)
            acks = await store.acknowledgements(s, row.id)
        lines = []
        for student, seat in a.seats.items():
            ack = acks.get(int(student))
            label = f"{self.course.role(seat.role).name}, {self.course.paper(seat.paper).title}"
            lines.append(
                render.StatusLine(
                    int(student),
                    label,
                    ack.delivery if ack else "pending",
                    ack.acknowledged_at if ack else None,
                )
            )
        return lines

    async def remind(self, session_id: int) -> None:
        """Once, after `ack_reminder`: nudge students who have not pressed Got it."""
        now = self.clock.now()
        async with self.db.session() as s, s.begin():
            row = await s.get(SessionRow, session_id)
            if row is None or row.status not in sessions_store.LIVE:
                return
            acks = await store.acknowledgements(s, session_id)
            threads = {k: t.thread_id for k, t in (await store.threads(s, session_id)).items()}
            a = store.to_assignment(await store.seats(s, session_id, "confirmed"), self.papers, self.roles)
            scopes = []
            for uid, ack in sorted(acks.items()):
                if ack.acknowledged_at is not None or ack.reminded_at is not None or str(uid) not in a.seats:
                    continue
                ack.reminded_at = now
                text = "Reminder: please read your role card and press **Got it** (or use `/myrole`)."
                if ack.delivery == "dm":
                    scope = card_scope(session_id, uid)
                    await outbox.enqueue(
                        s,
                        scope=scope,
                        key=f"remind:{int(now.timestamp())}",
                        channel_id=uid,
                        payload=render.change_post([], text, row.created_by),
                        now=now,
                        kind="dm",
                    )
                else:
                    scope = scope_of(session_id)
                    thread = threads.get(f"group:{a.seats[str(uid)].paper}", row.channel_id)
                    await outbox.enqueue(
                        s,
                        scope=scope,
                        key=f"remind:{uid}:{int(now.timestamp())}",
                        channel_id=thread,
                        payload=render.change_post([uid], f"<@{uid}> {text}", row.created_by),
                        now=now,
                    )
                scopes.append(scope)
        await asyncio.gather(*(self.flush(sc) for sc in sorted(set(scopes))))

    # --- attendance -----------------------------------------------------------------------------------

    async def post_checkin(self, guild_id: int, channel_id: int, actor_id: int) -> str:
        """Post an "I'm here" message in the session's channel; `/assign` then seats only those who press it."""
        async with self.db.session() as s, s.begin():
            row = await self._live(s, guild_id, channel_id)
            scope = scope_of(row.id)
            n = len(await outbox.keys(s, scope, "checkin:")) + 1
            await outbox.enqueue(
                s,
                scope=scope,
                key=f"checkin:{n}",
                channel_id=row.channel_id,
                payload=render.checkin_post(row.id, actor_id),
                now=self.clock.now(),
            )
            present = len(await store.checked_in(s, row.id))
        await self.flush(scope)
        async with self.db.session() as s:
            post = await outbox.find(s, scope, f"checkin:{n}")
        if post is not None and post.status == "pending":
            return "The check-in is on its way: Discord is slow to take it, and I keep trying."
        if post is not None and post.status == "failed":
            plan = self.threads.plan(row.channel_id)
            why = f"grant {grant(plan.posts_grant)} there" if plan.posts_grant else "Discord kept failing"
            return (
                f"I could not post the check-in in {self.threads.where(row.channel_id)}: {why}, then run "
                "`/checkin` again. Until students can check in, `/assign` seats every member with the "
                f"**{self.course.student_role}** role."
            )
        return (
            f"Posted the check-in ({present} checked in so far). `/assign` now seats only the students "
            "who press **I'm here**; run it once everyone has."
        )

    async def check_in(self, session_id: int, user_id: int) -> str:
        """A student pressed "I'm here" (pressing again changes nothing)."""
        async with self.db.session() as s, s.begin():
            row = await s.get(SessionRow, session_id)
            if row is None or row.status not in sessions_store.LIVE:
                raise ConductorError("This check-in is closed: the session is over.")
            if user_id in await store.checked_in(s, session_id):
                return "You are already checked in."
            s.add(CheckIn(session_id=session_id, user_id=user_id, at=self.clock.now()))
            seated = await store.seats(s, session_id, "confirmed")
        if seated and all(r.user_id != user_id for r in seated):
            return (
                "Checked in. Roles are already handed out: tell the instructor you are here so they can "
                "`/roles add` you."
            )
        return "Checked in: you will get a paper and a role when the instructor assigns them."

    # --- the end of the session ------------------------------------------------------------------------

    async def archive_threads(self, session_id: int) -> None:
        """Archive the session's group and partner threads (each once; call when the session has ended)."""
        self.scheduler.cancel(f"ack-reminder:{session_id}")
        async with self.db.session() as s:
            rows = [t for t in (await store.threads(s, session_id)).values() if not t.archived]
        results = await asyncio.gather(
            *(self.threads.archive(t.thread_id) for t in rows), return_exceptions=True
        )
        done = []
        for thread, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("could not archive thread %s of session %s: %r", thread.key, session_id, result)
            else:
                done.append(thread.id)
        if done:
            async with self.db.session() as s, s.begin():
                for thread_id in done:
                    stored = await s.get(ThreadRow, thread_id)
                    if stored is not None:
                        stored.archived = True

    async def finish_cards(self) -> None:
        """At start-up: a card fan-out that a crash cut short is finished (cards sent, or fallbacks)."""
        todo = []
        async with self.db.session() as s:
            resumed = set(await steps_store.sessions_with(s, steps_store.REPORT, StepStatus.PENDING))
            for row in await sessions_store.all_live(s, self.owns):
                if row.id in resumed:  # a confirm cut short: `resume` finishes it once connected
                    continue
                a = store.to_assignment(await store.seats(s, row.id, "confirmed"), self.papers, self.roles)
                keys = await self._pending_cards(s, row.id, a)
                if not keys:
                    continue
                threads = {k: t.thread_id for k, t in (await store.threads(s, row.id)).items()}
                todo.append((row, a, keys, threads))
        for row, a, keys, threads in todo:
            log.info("session %s: finishing the role-card fan-out for %d student(s)", row.id, len(keys))
            await asyncio.gather(*(self.flush(card_scope(row.id, uid)) for uid in keys))
            await self._settle_cards(row, a, keys, threads, row.created_by)

    async def _pending_cards(self, s: AsyncSession, session_id: int, a: Assignment) -> dict[int, str]:
        """Students whose card's fate is not recorded yet, with their latest card's outbox key."""
        acks = await store.acknowledgements(s, session_id)
        keys = {}
        for uid, ack in acks.items():
            if ack.delivery != "pending" or str(uid) not in a.seats:
                continue
            cards = await outbox.keys(s, card_scope(session_id, uid), "card:")
            if cards:
                keys[uid] = max(cards, key=lambda k: int(k.split(":")[1]))
        return keys

    async def rebuild(self) -> None:
        """At start-up: set the reminder timer again for live sessions with unacknowledged cards."""
        await self.finish_cards()
        async with self.db.session() as s:
            for row in await sessions_store.all_live(s, self.owns):
                acks = await store.acknowledgements(s, row.id)
                waiting = [a for a in acks.values() if a.acknowledged_at is None and a.reminded_at is None]
                if waiting:
                    first = min((a.delivered_at or self.clock.now()) for a in waiting)
                    self.scheduler.at(
                        f"ack-reminder:{row.id}", first + self.course.ack_reminder, self.remind, row.id
                    )


class Pace:
    """Spaces bulk requests at most `per_second` apart on average, under Discord's global 50/s limit.

    discord.py paces each route from the headers Discord sends, but learns of the global limit only from
    a 429; adding dozens of members to dozens of threads at once would hit it, so those calls take a turn.
    """

    def __init__(self, per_second: float = 40.0) -> None:
        self.gap = 1.0 / per_second
        self.next_at = 0.0
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        """Wait for this request's slot."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            at = max(now, self.next_at)
            self.next_at = at + self.gap
        if at > now:
            await asyncio.sleep(at - now)


class DiscordThreads:
    """`ThreadPort` over discord.py: private threads when allowed, public ones otherwise."""

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot
        self.pace = Pace()

    async def _paced(self, call: Callable[[], Awaitable[None]]) -> None:
        await self.pace.turn()
        await call()

    def _channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise ConductorError(
                "Threads need a text channel: run `/session start` in a normal text channel."
            )
        return channel

    def can_create_private(self, channel_id: int) -> bool:
        """Whether the bot may create private threads in the channel."""
        channel = self._channel(channel_id)
        return channel.permissions_for(channel.guild.me).create_private_threads

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Create a thread (private falls back to public when Discord refuses)."""
        channel = self._channel(channel_id)
        if private:
            try:
                thread = await channel.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=1440,
                )
                return thread.id, True
            except discord.Forbidden:
                log.warning("could not create private thread in %s: falling back to public", channel_id)
        thread = await channel.create_thread(
            name=name, type=discord.ChannelType.public_thread, auto_archive_duration=1440
        )
        return thread.id, False

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Add members, side by side."""
        thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
        assert isinstance(thread, discord.Thread)
        await asyncio.gather(*(self._paced(partial(thread.add_user, discord.Object(u))) for u in user_ids))

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Remove members, side by side."""
        thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
        assert isinstance(thread, discord.Thread)
        await asyncio.gather(*(self._paced(partial(thread.remove_user, discord.Object(u))) for u in user_ids))

    def plan(self, channel_id: int) -> ConfirmPlan:
        """What Confirm can do in the channel with the bot's permissions there (nothing, when it is unknown)."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return confirm_plan(discord.Permissions.none())
        return confirm_plan(channel.permissions_for(channel.guild.me))

    def where(self, channel_id: int) -> str:
        """The channel's mention."""
        return f"<#{channel_id}>"

    async def open_dm(self, user_id: int) -> None:
        """Open the DM channel (discord.py caches it for the card that follows)."""
        if self.bot.deliverer.stopped:
            return  # stopping: the card stays in the outbox, and the next start opens the DM
        user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
        await user.create_dm()

    async def archive(self, thread_id: int) -> None:
        """Archive a thread (already archived: nothing to do)."""
        thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
        assert isinstance(thread, discord.Thread)
        if not thread.archived:
            await self.pace.turn()
            await thread.edit(archived=True)
