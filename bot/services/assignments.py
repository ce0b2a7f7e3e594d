"""Assigning papers and roles: preview, confirm, edits, role cards that reach everyone, acknowledgements.

Like the session service, every decision runs in one transaction that writes the seats and the posts
they call for (the table, role-card DMs, thread fallbacks) into the outbox; the outbox is delivered
afterwards. Role cards go out concurrently, one outbox scope per student, so discord.py's rate limiter
paces them and one closed DM never holds up the others. Thread creation and membership are the only
direct Discord calls, behind `ThreadPort`.
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
from typing import TYPE_CHECKING, Protocol

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
from bot.core.clock import Clock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.rendering import assignment as render
from bot.rendering.session import phase_blocks
from bot.scheduling import Scheduler
from bot.storage import assignments as store
from bot.storage import outbox
from bot.storage import sessions as sessions_store
from bot.storage.db import Database
from bot.storage.models import Acknowledgement, AssignmentRow, CheckIn, SessionRow, ThreadRow

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


class AlreadyConfirmed(ConductorError):
    """The session already has a confirmed assignment; replacing it needs an explicit yes."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            "This session's roles are already confirmed and students have their cards. Replace the "
            "assignment with a new one?"
        )
        self.session_id = session_id


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
            return f"**{people[int(token)]}**"
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
                "No session is running in this channel: run `/session start` here first, then `/assign`."
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

    async def confirm(self, session_id: int, seed: int, roster: ClassList, actor_id: int) -> Outcome:
        """Make the preview the session's assignment: table, threads, role cards for everyone whose seat is new."""
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
                changed = await self._record_change(s, row, old, new, roster, actor_id)
            return await self._deliver(row, old, new, changed, roster, actor_id)

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
                name = roster.students.get(student, f"<@{student}>")
                with self._worded(roster):
                    if action == "swap":
                        assert other is not None
                        if str(other) not in old.seats or str(student) not in old.seats:
                            raise ConductorError(
                                "Both students need a seat to swap: `/roles add` the other first."
                            )
                        new = swap(old, str(student), str(other))
                        answer = f"Swapped **{name}** and **{roster.students.get(other, other)}**."
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
    ) -> list[int]:
        """Reset acknowledgements of students whose seat changed; write the table post or its edit."""
        changed = sorted(int(u) for u in new.seats if old.seats.get(u) != new.seats[u])
        for uid in changed:
            await store.reset_acknowledgement(s, row.id, uid)
        await store.drop_acknowledgements(s, row.id, {int(u): None for u in new.seats})
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
        """Create missing threads and bring every thread's members in line with the new assignment."""
        async with self.db.session() as s:
            existing = {k: t.thread_id for k, t in (await store.threads(s, row.id)).items()}
        before, after = self._wanted(old, roster), self._wanted(new, roster)
        private = self.threads.can_create_private(row.channel_id)
        public_fallback = not private
        created = 0
        jobs = []
        for key in sorted(set(before) | set(after)):
            want, had = after.get(key, set()), before.get(key, set())
            if key not in existing:
                if not want:
                    continue
                thread_id, is_private = await self.threads.create(
                    row.channel_id, self._thread_name(key), private
                )
                if private and not is_private:
                    public_fallback = True
                    private = False
                existing[key] = thread_id
                created += 1
                async with self.db.session() as s, s.begin():
                    s.add(ThreadRow(session_id=row.id, key=key, thread_id=thread_id, private=is_private))
                jobs.append(self.threads.add(thread_id, sorted(want)))
                continue
            if want - had:
                jobs.append(self.threads.add(existing[key], sorted(want - had)))
            if had - want:
                jobs.append(self.threads.remove(existing[key], sorted(had - want)))
        for result in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("thread membership change failed in session %s: %r", row.id, result)
        return existing, created, public_fallback

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
        return Outcome(sent, fallbacks, failed, pending, created, public, notes)

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
        """In a group's thread: who left (absent) and who joined late, so partners and the group know."""
        if not old.seats:
            return ()
        scope = scope_of(row.id)
        async with self.db.session() as s, s.begin():
            n = len(await outbox.keys(s, scope, "notice:"))
            for student in sorted(set(old.seats) ^ set(new.seats)):
                gone = student in old.seats
                seat = (old if gone else new).seats[student]
                thread = threads.get(f"group:{seat.paper}")
                if thread is None:
                    continue
                name = roster.students.get(int(student), f"<@{student}>")
                role = self.course.role(seat.role).name
                text = (
                    f"**{name}** is absent today and no longer holds {role} in this group."
                    if gone
                    else f"**{name}** joins this group as {role}. Welcome!"
                )
                partners = [int(u) for u in new.members(seat.paper, seat.role) if u != student]
                n += 1
                await outbox.enqueue(
                    s,
                    scope=scope,
                    key=f"notice:{n}",
                    channel_id=thread,
                    payload=render.change_post(partners, text, actor_id),
                    now=self.clock.now(),
                )
        await self.flush(scope)
        return ()

    def _timeline(self, row: SessionRow) -> tuple[tuple[str, object, object], ...]:
        timeline = sessions_store.timeline_of(row)
        out = []
        for key, name, start, end, _ in phase_blocks(timeline):
            phase = self.course.phases.get(key)
            out.append((phase.name if phase else name, start, end))
        return tuple(out)  # type: ignore[return-value]

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
            timeline=self._timeline(row),  # type: ignore[arg-type]
        )

    async def _send_cards(
        self, row: SessionRow, a: Assignment, users: list[int], threads: Mapping[str, int], actor_id: int
    ) -> tuple[int, int, int, int]:
        """DM each student their card, side by side; a refused DM becomes a ping in their group thread."""
        now = self.clock.now()
        keys: dict[int, str] = {}
        async with self.db.session() as s, s.begin():
            for uid in users:
                scope = card_scope(row.id, uid)
                key = f"card:{len(await outbox.keys(s, scope, 'card:')) + 1}"
                await outbox.enqueue(
                    s,
                    scope=scope,
                    key=key,
                    channel_id=uid,
                    payload=render.card_post(self._card(row, a, uid)),
                    now=now,
                    kind="dm",
                )
                keys[uid] = key
        gate = asyncio.Semaphore(DM_OPENS_AT_ONCE)

        async def deliver(uid: int) -> None:
            async with gate:
                try:
                    await self.threads.open_dm(uid)
                except (discord.HTTPException, OSError) as error:  # the card's own delivery retries
                    log.warning("could not open a DM channel with %s: %r", uid, error)
            await self.flush(card_scope(row.id, uid))

        await asyncio.gather(*(deliver(uid) for uid in users))
        return await self._settle_cards(row, a, keys, threads, actor_id)

    async def _settle_cards(
        self,
        row: SessionRow,
        a: Assignment,
        keys: Mapping[int, str],
        threads: Mapping[str, int],
        actor_id: int,
    ) -> tuple[int, int, int, int]:
        """Record how each card went (`keys`: user -> card post key); a refused DM becomes a thread ping."""
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
                where = threads.get(f"group:{seat.paper}", row.channel_id)
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

    async def acknowledge(self, session_id: int, user_id: int) -> str:
        """The student pressed Got it."""
        async with self.db.session() as s, s.begin():
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
            for row in await sessions_store.all_live(s, self.owns):
                acks = await store.acknowledgements(s, row.id)
                waiting = [uid for uid, ack in acks.items() if ack.delivery == "pending"]
                if not waiting:
                    continue
                a = store.to_assignment(await store.seats(s, row.id, "confirmed"), self.papers, self.roles)
                keys = {}
                for uid in waiting:
                    cards = await outbox.keys(s, card_scope(row.id, uid), "card:")
                    if str(uid) in a.seats and cards:
                        keys[uid] = max(cards, key=lambda k: int(k.split(":")[1]))
                threads = {k: t.thread_id for k, t in (await store.threads(s, row.id)).items()}
                todo.append((row, a, keys, threads))
        for row, a, keys, threads in todo:
            log.info("session %s: finishing the role-card fan-out for %d student(s)", row.id, len(keys))
            await asyncio.gather(*(self.flush(card_scope(row.id, uid)) for uid in keys))
            await self._settle_cards(row, a, keys, threads, row.created_by)

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
        await asyncio.gather(
            *(self._paced(lambda u=u: thread.add_user(discord.Object(u))) for u in user_ids)  # type: ignore[misc]
        )

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Remove members, side by side."""
        thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
        assert isinstance(thread, discord.Thread)
        await asyncio.gather(
            *(self._paced(lambda u=u: thread.remove_user(discord.Object(u))) for u in user_ids)  # type: ignore[misc]
        )

    async def open_dm(self, user_id: int) -> None:
        """Open the DM channel (discord.py caches it for the card that follows)."""
        user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
        await user.create_dm()

    async def archive(self, thread_id: int) -> None:
        """Archive a thread (already archived: nothing to do)."""
        thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
        assert isinstance(thread, discord.Thread)
        if not thread.archived:
            await self.pace.turn()
            await thread.edit(archived=True)
