"""Group and partner rooms (threads): who belongs where, opening them step by step, members, archiving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping

from bot.core.assignment import Assignment
from bot.core.errors import ConductorError
from bot.core.permissions import ConfirmPlan
from bot.core.statuses import StepStatus
from bot.messages import assignment as render
from bot.services.assignments.base import ServiceBase
from bot.services.assignments.model import ClassList, room_key, scope_of
from bot.services.assignments.ports import PlatformFailed, PlatformRefused, described
from bot.services.ports import RoomRecord, SessionRecord, StepRecord

log = logging.getLogger(__name__)


class Rooms(ServiceBase):
    """Opens the session's rooms, keeps their members in line with the seats, archives them."""

    def _thread_name(self, key: str) -> str:
        parts = key.split(":")
        title = self.course.paper(parts[1]).title
        if parts[0] == "group":
            return f"{title} - group"[:100]
        return f"{title} - {self.course.role(parts[2]).plural}"[:100]

    async def _sync_threads(
        self, row: SessionRecord, old: Assignment, new: Assignment, roster: ClassList
    ) -> tuple[dict[str, int], int, bool]:
        """Open missing rooms and bring every open room's members in line with the new assignment."""
        async with self.uow.read() as tx:
            before = set((await tx.rooms.of_session(row.id)).keys())
        threads = await self._sync_rooms(row, old, new, roster, self.threads.plan(row.channel_id))
        async with self.uow.read() as tx:
            public = any(
                not t.private for k, t in (await tx.rooms.of_session(row.id)).items() if k in threads
            )
        return threads, len(set(threads) - before), public

    def _room_failure(self, channel_id: int, error: BaseException) -> tuple[StepStatus, str | None]:
        """A room the platform would not open: blocked for a permission (named), or failed."""
        if isinstance(error, PlatformRefused):
            return StepStatus.BLOCKED, "|".join(self.threads.plan(channel_id).rooms_grant) or None
        log.warning("could not open a room in channel %s: %s", channel_id, described(error))
        return StepStatus.FAILED, described(error)[:300]

    async def _sync_rooms(
        self, row: SessionRecord, old: Assignment, new: Assignment, roster: ClassList, plan: ConfirmPlan
    ) -> dict[str, int]:
        """Open every wanted room not open yet, each on its own, and adjust open rooms' members; returns the open rooms.

        A room is open once it exists and its members were added; each room's step records how it went
        (blocked rooms name the permission to grant), so a later run opens only what is missing.
        """
        before, after = self._wanted(old, roster), self._wanted(new, roster)
        async with self.uow.read() as tx:
            existing = await tx.seats.threads(row.id)
            steps = await tx.steps.of_session(row.id)

        def is_open(key: str) -> bool:
            step = steps.get(room_key(key))
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
                        async with self.uow.begin() as tx:
                            await tx.rooms.add(row.id, RoomRecord(key, thread_id, is_private))
                            await tx.steps.mark(
                                row.id, StepRecord(room_key(key), StepStatus.PENDING), self.clock.now()
                            )
                    adds[key] = self.threads.add(existing[key], sorted(after[key]))
                except (PlatformFailed, OSError, ConductorError) as error:
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
                log.warning("thread membership change failed in session %s: %s", row.id, described(result))
        if results:
            async with self.uow.begin() as tx:
                for key, (status, detail) in results.items():
                    await tx.steps.mark(row.id, StepRecord(room_key(key), status, detail), self.clock.now())
        return {
            k: existing[k]
            for k in after
            if k in existing and (k not in opening or results[k][0] == StepStatus.DONE)
        }

    async def _prompt_slides(self, row: SessionRecord, threads: Mapping[str, int]) -> None:
        """Once per group thread, its first post: submit the slides link here (with the button)."""
        scope = scope_of(row.id)
        async with self.uow.begin() as tx:
            for key, thread in sorted(threads.items()):
                if key.startswith("group:"):
                    await tx.outbox.enqueue(
                        scope=scope,
                        key=f"slides-prompt:{key}",
                        channel_id=thread,
                        payload=render.slides_prompt(row.id, self.course.paper(key.split(":", 1)[1])),
                        now=self.clock.now(),
                    )
        await self.flush(scope)

    async def archive_threads(self, session_id: int) -> None:
        """Archive the session's group and partner threads (each once; call when the session has ended)."""
        self.timers.cancel(f"ack-reminder:{session_id}")
        async with self.uow.read() as tx:
            rows = [t for t in (await tx.rooms.of_session(session_id)).values() if not t.archived]
        results = await asyncio.gather(
            *(self.threads.archive(t.thread_id) for t in rows), return_exceptions=True
        )
        done = []
        for thread, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning(
                    "could not archive thread %s of session %s: %s", thread.key, session_id, described(result)
                )
            else:
                done.append(thread.key)
        if done:
            async with self.uow.begin() as tx:
                await tx.rooms.archived(session_id, done)
