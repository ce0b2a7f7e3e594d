"""Timers: a thin wrapper over APScheduler 3 whose jobs are always rebuilt from the database."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import logs

log = logging.getLogger(__name__)


class Scheduler:
    """Fires coroutines at absolute times; the database, not the job store, is the source of truth.

    Jobs due at the same instant run in the order they were set (APScheduler alone would order them by
    id as text: "session:10" before "session:2"), so when 500 sessions change phase together, the
    sessions that started first are decided, and posted, first.
    """

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()
        # Our job id -> APScheduler's, which starts with a sequence number so that ties keep their order.
        self._ids: dict[str, str] = {}
        self._sequence = itertools.count()
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 4},
        )

    def start(self) -> None:
        """Start firing jobs (needs a running event loop)."""
        if not self._aps.running:
            self._aps.start()

    def shutdown(self) -> None:
        """Stop firing jobs; pending ones are dropped (they are rebuilt from the database at start-up)."""
        if self._aps.running:
            self._aps.shutdown(wait=False)

    def pause(self) -> None:
        """Fire no more jobs (they are kept; `shutdown` drops them)."""
        if self._aps.running:
            self._aps.pause()

    @property
    def running(self) -> set[asyncio.Task[Any]]:
        """The jobs running right now."""
        return set(self._running)

    async def drain(self, grace: float = 5.0) -> None:
        """Stop firing new jobs and let the ones already running finish (up to `grace` seconds)."""
        if self._aps.running:
            self._aps.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)

    def at(self, job_id: str, when: datetime, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run `func(*args)` at `when` (aware), replacing any job with the same id."""
        if when.tzinfo is None:
            raise ValueError("schedule with aware datetimes")
        self.cancel(job_id)
        ours = self._ids[job_id] = f"{next(self._sequence):012d} {job_id}"
        self._aps.add_job(self._tracked, "date", run_date=when, args=(ours, func, *args), id=ours)

    async def _tracked(self, ours: str, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        job_id = ours.split(" ", 1)[1]
        if self._ids.get(job_id) == ours:  # fired: forgotten (unless it was set again meanwhile)
            del self._ids[job_id]
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        logs.clear()  # a timer is a new unit of work: no ids inherited from whoever set it
        try:
            await func(*args)
        finally:
            if task is not None:
                self._running.discard(task)

    def cancel(self, job_id: str) -> None:
        """Forget a job if it exists."""
        ours = self._ids.pop(job_id, None)
        job = self._aps.get_job(ours) if ours is not None else None
        if job is not None:
            job.remove()

    def upcoming(self, limit: int = 5) -> list[tuple[str, datetime]]:
        """The next jobs with their fire times, soonest first."""
        jobs = [
            (j.id.split(" ", 1)[1], j.next_run_time)
            for j in self._aps.get_jobs()
            if j.next_run_time is not None
        ]
        return sorted(jobs, key=lambda item: item[1])[:limit]
