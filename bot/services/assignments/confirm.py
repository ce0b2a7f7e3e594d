"""Confirm as recorded, independent steps (cards, each room, the class table, the report); finishing and resuming them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from bot.core.assignment import Assignment
from bot.core.errors import ConductorError
from bot.core.message import Mention, rich
from bot.core.permissions import ConfirmPlan
from bot.core.statuses import LIVE, EventKind, PostKind, PostStatus, SeatStatus, StepStatus
from bot.messages import assignment as render
from bot.services.assignments.acknowledgements import Acknowledgements
from bot.services.assignments.changes import Changes
from bot.services.assignments.model import REPORT, ROOM, TABLE, ClassList, room_key, scope_of
from bot.services.assignments.report import Report, Tally
from bot.services.assignments.rooms import Rooms
from bot.services.ports import SessionRecord, StepRecord

log = logging.getLogger(__name__)


class Confirming(Changes, Rooms, Tally, Acknowledgements):
    """Confirms a preview and carries out its steps; `/conductor status` and start-up finish what is missing."""

    async def confirm(self, session_id: int, seed: int, roster: ClassList, actor_id: int) -> Report:
        """Make the preview the session's assignment, then carry out its steps; says what was done, counted.

        One transaction stores the seats, every changed student's card (in the outbox) and the steps still to
        do (rooms, the class table, the instructor's report), so a crash after it loses nothing: the next
        start-up finishes the steps and tells the instructor (`resume`). Cards never wait for rooms, rooms
        never wait for each other, and the class table is posted last, saying what actually happened.
        """
        async with self._locks[session_id]:
            async with self.uow.begin() as tx:
                row = await tx.sessions.get(session_id)
                if row is None or row.status not in LIVE:
                    raise ConductorError("That session is over: run `/session start` and `/assign` again.")
                rows = await tx.seats.of_status(session_id, SeatStatus.PREVIEW)
                if not rows or rows[0].seed != seed:
                    raise ConductorError(
                        "That preview is no longer current (it was confirmed, cancelled or reshuffled). "
                        "Run `/assign` again."
                    )
                new = self._assignment(rows)
                old = await self._seated(tx, session_id)
                await tx.seats.confirm_preview(session_id)
                row.seed = seed
                await tx.sessions.save(row)
                await tx.sessions.log_event(
                    session_id,
                    EventKind.ASSIGN_CONFIRMED,
                    self.clock.now(),
                    actor_id,
                    seed=seed,
                    students=len(rows),
                )
                changed = await self._record_change(tx, row, old, new, roster, actor_id, table=False)
                keys = await self._enqueue_cards(tx, row, new, changed)
                await tx.steps.keep_only(row.id, ROOM, {room_key(k) for k in self._wanted(new, roster)})
                now = self.clock.now()
                await tx.steps.mark(row.id, StepRecord(TABLE, StepStatus.PENDING), now)
                await tx.steps.mark(row.id, StepRecord(REPORT, StepStatus.PENDING, actor_id=actor_id), now)
            return await self._carry_out(row, old, new, roster, actor_id, keys)

    async def reported(self, session_id: int) -> None:
        """The instructor has the confirm's report (their interaction was answered): nothing is owed."""
        async with self.uow.begin() as tx:
            await tx.steps.mark(session_id, StepRecord(REPORT, StepStatus.DONE), self.clock.now())

    async def report_by_dm(self, session_id: int, actor_id: int, text: str) -> None:
        """Send the instructor the confirm's report by DM (or, DMs closed, in the class channel), once."""
        scope = f"report:{session_id}"
        async with self.uow.begin() as tx:
            row = await tx.sessions.get(session_id)
            if row is None:
                raise ConductorError("That session no longer exists.")
            key = f"report:{len(await tx.outbox.keys(scope, 'report:')) + 1}"
            await tx.outbox.enqueue(
                scope=scope,
                key=key,
                channel_id=actor_id,
                payload=render.change_post([], text, actor_id),
                now=self.clock.now(),
                kind=PostKind.DM,
            )
            await tx.steps.mark(session_id, StepRecord(REPORT, StepStatus.DONE), self.clock.now())
        await self.flush(scope)
        async with self.uow.begin() as tx:
            post = await tx.outbox.find(scope, key)
            if (
                post is None
                or post.status != PostStatus.FAILED
                or not self.threads.plan(row.channel_id).posts
            ):
                return
            await tx.outbox.enqueue(
                scope=scope,
                key=f"{key}:here",
                channel_id=row.channel_id,
                payload=render.change_post([actor_id], rich(Mention(actor_id), " ", text), actor_id),
                now=self.clock.now(),
            )
        await self.flush(scope)

    async def _carry_out(
        self,
        row: SessionRecord,
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
        self.timers.at(
            f"ack-reminder:{row.id}", self.clock.now() + self.course.ack_reminder, self.remind, row.id
        )
        await self._post_table(row, new, roster, actor_id, plan)
        return await self.tally(row.id)

    async def _post_table(
        self, row: SessionRecord, a: Assignment, roster: ClassList, actor_id: int, plan: ConfirmPlan
    ) -> None:
        """The class table, last, saying what happened; posted once, then edited when the facts change."""
        text = (await self.tally(row.id)).class_text()
        scope = scope_of(row.id)
        names = dict(roster.students)
        key: str | None  # the table post this round waits for, if any
        async with self.uow.begin() as tx:
            posted = None
            for key in sorted(await tx.outbox.keys(scope, "table:"), key=lambda k: int(k.split(":")[1])):
                post = await tx.outbox.find(scope, key)
                if post is not None and post.status == PostStatus.SENT:
                    posted = post
            if posted is not None:
                edits = sorted(await tx.outbox.keys(scope, "table-edit:"))
                latest = posted.payload
                for key in edits:
                    edit = await tx.outbox.find(scope, key)
                    if edit is not None and edit.payload.get("target") == posted.key:
                        latest = edit.payload
                body = render.table_post(a, self.course, names, actor_id, edited=True, content=text)
                body["target"] = posted.key
                if latest.get("message") == body["message"]:
                    key = None
                else:
                    key = f"table-edit:{len(edits) + 1}"
                    await tx.outbox.enqueue(
                        scope=scope,
                        key=key,
                        channel_id=row.channel_id,
                        payload=body,
                        now=self.clock.now(),
                        kind=PostKind.EDIT,
                    )
            elif not plan.table:  # known before acting: the class is told nothing rather than half
                blocked = StepRecord(TABLE, StepStatus.BLOCKED, "|".join(plan.table_grant))
                await tx.steps.mark(row.id, blocked, self.clock.now())
                return
            else:
                key = f"table:{len(await tx.outbox.keys(scope, 'table:')) + 1}"
                await tx.outbox.enqueue(
                    scope=scope,
                    key=key,
                    channel_id=row.channel_id,
                    payload=render.table_post(a, self.course, names, actor_id, content=text),
                    now=self.clock.now(),
                )
        await self.flush(scope)
        async with self.uow.begin() as tx:
            post = await tx.outbox.find(scope, key) if key else None
            status, detail = StepStatus.DONE, None
            if post is not None and post.status == PostStatus.PENDING:
                status = StepStatus.PENDING
            elif post is not None and post.status == PostStatus.FAILED:
                refused = (post.error or "").split(":")[0] in {"50001", "50013"}
                fresh = self.threads.plan(row.channel_id)
                status = StepStatus.BLOCKED if refused else StepStatus.FAILED
                detail = "|".join(fresh.table_grant) if refused else post.error
            if posted is not None:  # the table is out already; an edit that fails does not undo that
                status, detail = StepStatus.DONE, None
            await tx.steps.mark(row.id, StepRecord(TABLE, status, detail), self.clock.now())

    async def unfinished(self, guild_id: int, channel_id: int) -> bool:
        """Whether this channel's confirm left something undone (a room, the table, an unreached student)."""
        async with self.uow.read() as tx:
            row = await tx.sessions.live_in_channel(guild_id, channel_id)
            if row is None or not await tx.steps.of_session(row.id):
                return False
        return not (await self.tally(row.id)).finished

    async def finish(self, guild_id: int, channel_id: int, roster: ClassList) -> Report | None:
        """Do what a confirm in this channel could not (rooms, the table, unreached students); None: nothing to do.

        Runs on `/conductor status`, typically after a missing permission was granted: what was done already
        (cards delivered, rooms open) is not done again.
        """
        async with self.uow.read() as tx:
            row = await tx.sessions.live_in_channel(guild_id, channel_id)
            if row is None:
                return None
            done = await tx.steps.of_session(row.id)
            a = await self._seated(tx, row.id)
        if not a.seats or not done or (await self.tally(row.id)).finished:
            return None
        if self._locks[row.id].locked():
            return None  # the confirm itself is still running (or being resumed): it reports when done
        report = done.get(REPORT)
        actor_id = (report.actor_id if report else None) or row.created_by
        async with self._locks[row.id]:
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
        async with self.uow.read() as tx:
            owed = await tx.steps.sessions_with(REPORT, StepStatus.PENDING)
        for session_id in owed:
            async with self.uow.read() as tx:
                row = await tx.sessions.get(session_id)
                if row is None or (self.owns is not None and not self.owns(row.guild_id)):
                    continue  # gone, or another process's guild (sharded)
                actor_id = (await tx.steps.of_session(session_id))[REPORT].actor_id
                a = await self._seated(tx, session_id)
                keys = await self._pending_cards(tx, session_id, a)
            actor_id = actor_id or row.created_by
            if row.status not in LIVE or not a.seats:
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
