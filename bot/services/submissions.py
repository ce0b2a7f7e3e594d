"""Collecting the work: each group's slides link, each student's role deliverable, reminders and exports.

A submission and the post it calls for (the group's confirmation, the review in the partner thread, a
reminder) are written in one transaction; the outbox delivers the post afterwards, with mentions
disabled unless the post is a reminder meant to ping. Everything a student typed is stored as typed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core import export
from bot.core.clock import Clock
from bot.core.errors import ConductorError
from bot.core.message import Rich, UserText, bold, rich
from bot.core.plan import Course, Paper, Role
from bot.core.statuses import SessionStatus
from bot.core.submissions import (
    DELIVERABLE,
    SLIDES,
    FormCheck,
    check_form,
    deliverable_group,
    normalise_url,
    slides_group,
    slides_thread,
)
from bot.core.timeline import phase_blocks
from bot.messages import submissions as render
from bot.services.changes import Changes
from bot.services.ports import SeatRecord, SessionRecord, Transaction, UnitOfWork

log = logging.getLogger(__name__)
Flush = Callable[[str], Awaitable[None]]
OPEN = (SessionStatus.RUNNING, SessionStatus.PAUSED)  # sessions that take submissions


def scope_of(session_id: int) -> str:
    """The outbox scope of a session's submission posts (confirmations, reviews, reminders)."""
    return f"submit:{session_id}"


@dataclass(frozen=True)
class Form:
    """A student's deliverable form: their role's fields and what they last submitted (or typed)."""

    session_id: int
    paper: Paper
    role: Role
    values: dict[str, str]
    submitted_at: datetime | None


@dataclass(frozen=True)
class SlidesGroup:
    """A group that submits one slides link: a paper group, or a paper-role group (`role` set)."""

    key: str
    thread: str
    paper: Paper
    role: Role | None
    members: tuple[int, ...]


@dataclass(frozen=True)
class Saved:
    """The result of sending a form: the check, and the answer for the student."""

    check: FormCheck
    answer: str


class SubmissionService:
    """Slides links, deliverables, reminders and exports; knows nothing of Discord beyond ids."""

    def __init__(
        self, course: Course, uow: UnitOfWork, clock: Clock, flush: Flush, changes: Changes | None = None
    ) -> None:
        self.course = course
        self.uow = uow
        self.clock = clock
        self.flush = flush
        self.changes = changes or Changes()

    # --- finding the student's seat -----------------------------------------------------------------

    async def _locate(
        self,
        tx: Transaction,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        session_id: int | None,
    ) -> tuple[SessionRecord, SeatRecord]:
        """The open session in which the student has a seat, and the seat; refusals say what to do."""
        if session_id is not None:
            row = await tx.sessions.get(session_id)
            candidates = [row] if row is not None else []
        elif guild_id is not None:
            candidates = await tx.sessions.live_in_guild(guild_id)
        else:
            candidates = list(await tx.sessions.all_live())
        if not candidates and guild_id is not None:
            latest = await tx.sessions.latest_in_guild(guild_id)
            if latest is not None and await tx.seats.seat(latest.id, user_id) is not None:
                candidates = [latest]
        if not candidates:
            raise ConductorError(
                "No session is running, so there is nothing to hand in yet. "
                "Submissions open once the instructor starts the session."
            )
        seated = [(r, seat) for r in candidates if (seat := await tx.seats.seat(r.id, user_id)) is not None]
        if not seated:
            raise ConductorError(
                "You have no group in this session, so there is nothing for you to submit. "
                "If you just arrived, ask the instructor to `/roles add` you."
            )
        seated.sort(key=lambda pair: (pair[0].channel_id != channel_id, -pair[0].id))
        row, seat = seated[0]
        if row.status == SessionStatus.SCHEDULED:
            raise ConductorError("The session has not started yet: submit once it is running.")
        if row.status not in OPEN:
            raise ConductorError("This session has ended, so submissions are closed. Ask your teacher.")
        return row, seat

    # --- slides ---------------------------------------------------------------------------------------

    async def submit_slides(
        self,
        *,
        user_id: int,
        url: str,
        guild_id: int | None,
        channel_id: int | None,
        session_id: int | None = None,
    ) -> Rich:
        """Store the group's slides link (replacing the earlier one) and tell the group in its thread."""
        link = normalise_url(url)
        now = self.clock.now()
        async with self.uow.begin() as tx:
            row, seat = await self._locate(
                tx, user_id=user_id, guild_id=guild_id, channel_id=channel_id, session_id=session_id
            )
            per = self.course.slides_per
            group = slides_group(seat.paper_key, seat.role_key, per)
            before = await tx.submissions.current(row.id, SLIDES, group)
            sub = await tx.submissions.replace(
                session_id=row.id,
                kind=SLIDES,
                group_key=group,
                user_id=user_id,
                payload={"url": link, "typed": url},
                now=now,
            )
            threads = await tx.seats.threads(row.id)
            thread = threads.get(slides_thread(seat.paper_key, seat.role_key, per))
            paper = self.course.paper(seat.paper_key)
            role = self.course.role(seat.role_key) if per == "role" else None
            if thread is not None:
                await tx.outbox.enqueue(
                    scope=scope_of(row.id),
                    key=f"slides:{sub.id}",
                    channel_id=thread,
                    payload=render.slides_confirmation(
                        paper, user_id, link, replaced=bool(before), role=role
                    ),
                    now=now,
                )
            session = row.id
        self.changes.changed(session)
        await self.flush(scope_of(session))
        where = ""
        if thread is not None:
            where = (
                " Your role-partners see it in your pair thread."
                if role is not None
                else " Your group sees it in its thread."
            )
        verb = "Replaced your group's slides link" if before else "Saved your group's slides link"
        return rich(f"{verb} for ", bold(paper.title), ": ", UserText(link, link=True), f".{where}")

    async def links(self, guild_id: int, channel_id: int) -> list[render.LinkLine]:
        """Every slides group of the channel's session: its current link, who sent it when, or who is missing."""
        async with self.uow.read() as tx:
            row = await self._instructor_session(tx, guild_id, channel_id)
            groups = await self._slides_groups(tx, row.id)
            current = {sub.group_key: sub for sub in await tx.submissions.current(row.id, SLIDES)}
        out = []
        for group in groups:
            sub = current.get(group.key)
            out.append(
                render.LinkLine(
                    paper=group.paper,
                    url=sub.payload.get("url") if sub else None,
                    by=sub.user_id if sub else None,
                    at=sub.submitted_at if sub else None,
                    members=group.members,
                    role=group.role,
                )
            )
        return out

    async def remind_missing_slides(self, session_id: int, at: datetime) -> None:
        """Ping, in their thread, every group of the session that has no slides link yet (once per `at`)."""
        async with self.uow.begin() as tx:
            await self.enqueue_slide_reminders(tx, session_id, at, scope_of(session_id))
        await self.flush(scope_of(session_id))

    async def enqueue_slide_reminders(
        self, tx: Transaction, session_id: int, at: datetime, scope: str
    ) -> int:
        """Inside a caller's transaction: outbox reminders for groups without slides; returns how many."""
        row = await tx.sessions.get(session_id)
        if row is None or row.status not in OPEN:
            return 0
        current = {sub.group_key for sub in await tx.submissions.current(session_id, SLIDES)}
        threads = await tx.seats.threads(session_id)
        n = 0
        for group in await self._slides_groups(tx, session_id):
            if group.key in current:
                continue
            thread = threads.get(group.thread)
            body = render.slides_reminder(session_id, group.paper, group.members, group.role)
            body["notify"] = row.created_by
            added = await tx.outbox.enqueue(
                scope=scope,
                key=f"slides-reminder:{int(at.timestamp())}:{group.key}",
                channel_id=thread if thread is not None else row.channel_id,
                payload=body,
                now=self.clock.now(),
            )
            n += added
        return n

    # --- deliverables ---------------------------------------------------------------------------------

    async def form(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        session_id: int | None = None,
    ) -> Form:
        """The student's role form, pre-filled with their current submission."""
        async with self.uow.read() as tx:
            row, seat = await self._locate(
                tx, user_id=user_id, guild_id=guild_id, channel_id=channel_id, session_id=session_id
            )
            role = self.course.role(seat.role_key)
            if not role.fields:
                raise ConductorError(
                    f"**{role.name}** has no form to fill in: your part is the presentation. "
                    "Your group's slides link goes in with `/submit slides`."
                )
            mine = await tx.submissions.current(
                row.id, DELIVERABLE, deliverable_group(seat.paper_key, seat.role_key), user_id
            )
        values = dict(mine[-1].payload.get("fields", {})) if mine else {}
        return Form(
            row.id, self.course.paper(seat.paper_key), role, values, mine[-1].submitted_at if mine else None
        )

    async def save_deliverable(self, *, session_id: int, user_id: int, typed: Mapping[str, str]) -> Saved:
        """Check and store a student's form; a valid one is shown to their role-partners in their thread."""
        now = self.clock.now()
        async with self.uow.begin() as tx:
            row, seat = await self._locate(
                tx, user_id=user_id, guild_id=None, channel_id=None, session_id=session_id
            )
            role = self.course.role(seat.role_key)
            check = check_form(role.fields, typed)
            if not check.ok:
                return Saved(check, render.form_problems(check.problems))
            group = deliverable_group(seat.paper_key, seat.role_key)
            earlier = await tx.submissions.current(row.id, DELIVERABLE, group, user_id)
            sub = await tx.submissions.replace(
                session_id=row.id,
                kind=DELIVERABLE,
                group_key=group,
                user_id=user_id,
                payload={"fields": check.values},
                now=now,
                per_user=True,
            )
            thread = (await tx.seats.threads(row.id)).get(f"partners:{seat.paper_key}:{seat.role_key}")
            paper = self.course.paper(seat.paper_key)
            if thread is not None:
                body = render.deliverable_post(paper, role, user_id, check.values, now, edited=bool(earlier))
                first = f"deliverable:{user_id}"
                if await tx.outbox.find(scope_of(row.id), first) is None:
                    await tx.outbox.enqueue(
                        scope=scope_of(row.id),
                        key=first,
                        channel_id=thread,
                        payload=body,
                        now=now,
                    )
                else:
                    body["target"] = first
                    await tx.outbox.enqueue(
                        scope=scope_of(row.id),
                        key=f"{first}:{sub.id}",
                        channel_id=thread,
                        payload=body,
                        now=now,
                        kind="edit",
                    )
            session = row.id
        await self.flush(scope_of(session))
        shown = " Your role-partners see it in your pair thread." if thread is not None else ""
        verb = "Updated" if earlier else "Submitted"
        return Saved(
            check,
            f"{verb} your {role.name} form for **{paper.title}**.{shown} "
            "You can edit it until the session ends (`/deliverable`).",
        )

    async def deliverables(self, guild_id: int, channel_id: int) -> list[render.DeliverableLine]:
        """Per paper and role with a form: who has submitted (and when) and who has not."""
        async with self.uow.read() as tx:
            row = await self._instructor_session(tx, guild_id, channel_id)
            seats = await tx.seats.confirmed(row.id)
            done = {
                (sub.group_key, sub.user_id): sub.submitted_at
                for sub in await tx.submissions.current(row.id, DELIVERABLE)
            }
        cells: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for seat in seats:
            cells[(seat.paper_key, seat.role_key)].append(seat.user_id)
        out = []
        for paper in self.course.papers:
            for role in self.course.roles:
                users = sorted(cells.get((paper.key, role.key), ()))
                if not users or not role.fields:
                    continue
                group = deliverable_group(paper.key, role.key)
                submitted = tuple((u, done[(group, u)]) for u in users if (group, u) in done)
                missing = tuple(u for u in users if (group, u) not in done)
                out.append(render.DeliverableLine(paper, role, submitted, missing))
        return out

    # --- export ---------------------------------------------------------------------------------------

    async def export_session(self, guild_id: int, channel_id: int, session_id: int | None = None) -> int:
        """The session an instructor's `/export` means: the given one of this guild, else this channel's latest."""
        async with self.uow.read() as tx:
            if session_id is not None:
                row = await tx.sessions.get(session_id)
                if row is None or row.guild_id != guild_id:
                    raise ConductorError(f"There is no session {session_id} in this server.")
                return row.id
            row = await tx.sessions.latest_in_channel(guild_id, channel_id)
        if row is None:
            raise ConductorError(
                f"No session has run in <#{channel_id}>: give the session's number, e.g. `/export session:3`."
            )
        return row.id

    async def record(self, session_id: int) -> export.SessionRecord:
        """Everything the export files say about a session, from the database alone.

        A student's name is their imported roster name, else the display name stored when they were
        seated (refreshed when seen again), so no live Discord connection is needed.
        """
        async with self.uow.read() as tx:
            row = await tx.sessions.get(session_id)
            if row is None:
                raise ConductorError(f"There is no session {session_id}.")
            seats = await tx.seats.confirmed(session_id)
            acks = await tx.seats.acknowledged(session_id)
            roster = await tx.roster.known(row.guild_id)
            slides = {sub.group_key: sub for sub in await tx.submissions.current(session_id, SLIDES)}
            work = {
                (sub.group_key, sub.user_id): sub
                for sub in await tx.submissions.current(session_id, DELIVERABLE)
            }
            events = await tx.sessions.events(session_id)
            names = await tx.names.of_guild(row.guild_id)

        def name(uid: int) -> str:
            entry = roster.get(uid)
            return entry.name if entry is not None else names.get(uid, f"user {uid}")

        cells: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for seat in seats:
            cells[(seat.paper_key, seat.role_key)].append(seat.user_id)
        students = []
        for seat in seats:
            paper, role = self.course.paper(seat.paper_key), self.course.role(seat.role_key)
            slide = slides.get(slides_group(seat.paper_key, seat.role_key, self.course.slides_per))
            sub = work.get((deliverable_group(seat.paper_key, seat.role_key), seat.user_id))
            delivered = [f"{role.name} form"] if sub is not None else []
            if slide is not None and slide.user_id == seat.user_id:
                delivered.append("slides link")
            acknowledged = acks.get(seat.user_id)
            entry = roster.get(seat.user_id)
            typed = sub.payload.get("fields", {}) if sub is not None else {}
            students.append(
                export.StudentRecord(
                    user_id=seat.user_id,
                    student_id=(entry.student_id or "") if entry is not None else "",
                    name=name(seat.user_id),
                    paper=paper.title,
                    role=role.name,
                    partners=tuple(
                        name(u) for u in sorted(cells[(seat.paper_key, seat.role_key)]) if u != seat.user_id
                    ),
                    acknowledged=acknowledged,
                    deliverables=tuple(delivered),
                    slides_link=str(slide.payload.get("url", "")) if slide is not None else "",
                    answers=tuple(
                        (export.form_column(role.key, f.key), str(typed.get(f.key, ""))) for f in role.fields
                    )
                    if sub is not None
                    else (),
                )
            )
        timeline = row.timeline
        windows = timeline.windows()
        # Reached = announced (the stored cursor), not "started before now": the export is a function of
        # the database alone, so `/export` and the command line agree whenever they run.
        everything = row.status == SessionStatus.ENDED or row.cursor >= len(windows)
        last_start = windows[row.cursor][0] if 0 <= row.cursor < len(windows) else None
        phases = []
        for key, label, start, end, _ in phase_blocks(timeline):
            phase = self.course.phases.get(key)
            if not everything and (last_start is None or start > last_start):
                break  # not reached yet
            phases.append(export.PhaseRecord(phase.name if phase else label, start, end))
        happened = tuple(
            export.EventRecord(e.at, e.kind, export.event_detail(e.kind, e.data))
            for e in events
            if e.kind not in {"announced"}
        )
        links = tuple(
            export.LinkRecord(
                render.group_label(group.paper, group.role),
                str(slide.payload.get("url")) if slide is not None else None,
                name(slide.user_id) if slide is not None else "",
                slide.submitted_at if slide is not None else None,
            )
            for group in self._group_seats(cells)
            for slide in [slides.get(group.key)]
        )
        delivered_records = []
        for (group, uid), sub in work.items():
            paper_key, role_key = group.split("/", 1)
            role = self.course.role(role_key)
            answers = tuple((f.label, str(sub.payload.get("fields", {}).get(f.key, ""))) for f in role.fields)
            delivered_records.append(
                export.DeliverableRecord(
                    self.course.paper(paper_key).title, role.name, name(uid), sub.submitted_at, answers
                )
            )
        return export.SessionRecord(
            session_id=row.id,
            course=self.course.name,
            plan=row.plan_name,
            status=row.status,
            started_at=row.started_at,
            timezone=self.course.timezone,
            students=tuple(students),
            phases=tuple(phases),
            events=happened,
            links=links,
            deliverables=tuple(delivered_records),
            form_columns=tuple(
                export.form_column(role.key, f.key) for role in self.course.roles for f in role.fields
            ),
        )

    async def export_files(self, session_id: int) -> dict[str, bytes]:
        """The export's files by name, as bytes: the CSV and the Markdown report (`/export` and the CLI)."""
        return export.build_files(await self.record(session_id))

    # --- helpers --------------------------------------------------------------------------------------

    async def _instructor_session(self, tx: Transaction, guild_id: int, channel_id: int) -> SessionRecord:
        row = await tx.sessions.live_in_channel(guild_id, channel_id)
        if row is None:
            row = await tx.sessions.latest_in_channel(guild_id, channel_id)
        if row is None:
            raise ConductorError(f"No session has run in <#{channel_id}>. Start one with `/session start`.")
        return row

    async def _slides_groups(self, tx: Transaction, session_id: int) -> list[SlidesGroup]:
        """The session's slides groups with members, in configuration order (`[session] slides_per`)."""
        cells: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for seat in await tx.seats.confirmed(session_id):
            cells[(seat.paper_key, seat.role_key)].append(seat.user_id)
        return self._group_seats(cells)

    def _group_seats(self, cells: Mapping[tuple[str, str], list[int]]) -> list[SlidesGroup]:
        """Seated students by (paper, role) gathered into slides groups, in configuration order."""
        per = self.course.slides_per
        out = []
        for paper in self.course.papers:
            if per == "role":
                for role in self.course.roles:
                    members = tuple(sorted(cells.get((paper.key, role.key), ())))
                    if members:
                        key = slides_group(paper.key, role.key, per)
                        thread = slides_thread(paper.key, role.key, per)
                        out.append(SlidesGroup(key, thread, paper, role, members))
            else:
                members = tuple(sorted(u for (p, _), users in cells.items() if p == paper.key for u in users))
                if members:
                    out.append(SlidesGroup(paper.key, f"group:{paper.key}", paper, None, members))
        return out
