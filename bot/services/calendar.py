"""Calendar reminders, weekly supervisor-chat reminders and project nudges, through the outbox and timers.

One timer ("calendar") fires at the next moment something falls due; at start-up (and on every
reconnect) everything is worked out again from the configuration and the outbox's keys. A reminder
is written under a stable key in the guild's scope, so after downtime it is posted once (the older
missed ones folded into the latest), and never twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.calendar_feed import ics
from bot.core import calendar as cal
from bot.core.calendar import Entry, Kind
from bot.core.clock import Clock
from bot.core.message import Message, Time, TimeStyle, bold, rich
from bot.core.plan import Course
from bot.core.projects import ProjectState, weekly
from bot.messages import calendar as render
from bot.messages.outbox import stored
from bot.messages.projects import typed
from bot.services.ports import Timers, Transaction, UnitOfWork
from bot.services.projects import ProjectService

log = logging.getLogger(__name__)
JOB = "calendar"
CHAT = "Supervisor chat"
NUDGE = "Project groups lock"


def scope_of(guild_id: int) -> str:
    """The outbox scope of a guild's calendar posts."""
    return f"calendar:{guild_id}"


class CalendarService:
    """Posts the course calendar's reminders to each guild's class channel, and project reminders."""

    def __init__(
        self,
        course: Course,
        uow: UnitOfWork,
        clock: Clock,
        scheduler: Timers,
        flush: Callable[[str], Awaitable[None]],
        projects: ProjectService,
        targets: Callable[[], Sequence[tuple[int, int]]],
        students: Callable[[int], Sequence[int]],
    ) -> None:
        self.course = course
        self.uow = uow
        self.clock = clock
        self.scheduler = scheduler
        self.flush = flush
        self.projects = projects
        self.targets = targets
        self.students = students
        self._lock = asyncio.Lock()
        self._token: str | None = None

    def upcoming(self, limit: int = 6) -> list[Entry]:
        """The next calendar entries."""
        return cal.upcoming(self.course.calendar, self.clock.now(), limit)

    def ics(self) -> bytes:
        """The calendar as an iCalendar file."""
        return ics(self.course.name, self.course.calendar, self.course.tz, self.clock.now())

    async def feed_token(self) -> str:
        """The secret part of the feed's address, made once and kept in the database."""
        if self._token is None:
            async with self.uow.begin() as tx:
                self._token = await tx.tokens.calendar_feed(lambda: secrets.token_urlsafe(24))
        return self._token

    # --- the timer ------------------------------------------------------------------------------

    def _chats(self, now: dt.datetime) -> list[Entry]:
        r = self.course.project_rules
        if r.chat_weekday is None or r.chat_time is None:
            return []
        tz = self.course.tz
        until = (
            dt.datetime.combine(r.chat_until, dt.time(23, 59), tzinfo=tz).astimezone(dt.UTC)
            if r.chat_until
            else now + dt.timedelta(days=21)
        )
        start = now - dt.timedelta(days=8)
        return [Entry(at, CHAT, Kind.SESSION) for at in weekly(r.chat_weekday, r.chat_time, start, until, tz)]

    def _nudges(self) -> tuple[list[Entry], Mapping[Kind, Sequence[dt.timedelta]]]:
        r = self.course.project_rules
        if r.lock_at is None or not r.nudge_days or not self.course.projects:
            return [], {}
        leads = tuple(dt.timedelta(days=d) for d in r.nudge_days if d > 0)
        return [Entry(r.lock_at, NUDGE, Kind.DEADLINE)], {Kind.DEADLINE: leads}

    async def tick(self) -> None:
        """Post whatever is due in every guild, then set the timer for the next thing."""
        async with self._lock:
            now = self.clock.now()
            for guild_id, channel_id in self.targets():
                try:
                    await self._guild(guild_id, channel_id, now)
                except Exception:
                    log.exception(
                        "calendar reminders for guild %s failed; retried at the next tick", guild_id
                    )
            chat_lead = {Kind.SESSION: (self.course.project_rules.chat_lead,)}
            nudges, nudge_leads = self._nudges()
            wakes = [
                cal.next_wake(self.course.calendar, self.course.calendar_leads, now),
                cal.next_wake(self._chats(now), chat_lead, now),
                cal.next_wake(nudges, nudge_leads, now),
            ]
            wake = min((w for w in wakes if w is not None), default=None)
            if wake is None:
                self.scheduler.cancel(JOB)
            else:
                self.scheduler.at(JOB, wake, self.tick)

    async def _guild(self, guild_id: int, channel_id: int, now: dt.datetime) -> None:
        scope = scope_of(guild_id)
        rooms: dict[int, int] = {}
        state = ProjectState((), self.course.project_rules)
        if self.course.projects:
            state = await self.projects.state(guild_id)
            async with self.uow.read() as tx:
                rooms = await tx.projects.rooms(guild_id)
        async with self.uow.begin() as tx:
            done = await tx.outbox.keys(scope)
            for r in cal.due(self.course.calendar, self.course.calendar_leads, now, done):
                await tx.outbox.enqueue(
                    scope=scope,
                    key=r.key,
                    channel_id=channel_id,
                    payload=render.reminder(r.entry),
                    now=now,
                )
            if rooms:
                await self._chat_reminders(tx, scope, rooms, done, now)
            nudges, leads = self._nudges()
            nudged = frozenset(k.split("|")[1] for k in done if k.startswith("nudge|"))
            for r in cal.due(nudges, leads, now, nudged):
                await self._nudge(tx, scope, r.key, state, guild_id, now)
        await self.flush(scope)

    async def _chat_reminders(
        self, tx: Transaction, scope: str, rooms: dict[int, int], done: frozenset[str], now: dt.datetime
    ) -> None:
        chats = self._chats(now)
        lead = {Kind.SESSION: (self.course.project_rules.chat_lead,)}
        for group_id, room in rooms.items():
            mine = frozenset(k.split("|")[2] for k in done if k.startswith(f"chat|{group_id}|"))
            for r in cal.due(chats, lead, now, mine):
                text = rich(
                    "Weekly chat with your supervisor ",
                    render.when(r.entry),
                    ". Bring your progress, your questions and what is blocking you.",
                )
                await tx.outbox.enqueue(
                    scope=scope,
                    key=f"chat|{group_id}|{r.key}",
                    channel_id=room,
                    payload=stored(Message(text)),
                    now=now,
                )

    async def _nudge(
        self, tx: Transaction, scope: str, key: str, state: ProjectState, guild_id: int, now: dt.datetime
    ) -> None:
        lock = self.course.project_rules.lock_at
        assert lock is not None
        deadline = rich(Time(lock, TimeStyle.LONG_DATETIME), " (", Time(lock, TimeStyle.RELATIVE), ")")
        grouped = {u for g in state.groups for u in g.members}
        for user in self.students(guild_id):
            if user in grouped:
                continue
            alone = rich(
                "You are not in a project group yet, and groups lock ",
                deadline,
                ". Create one with `/project create`, join one with its code (`/project join`), or ask an "
                "instructor to place you.",
            )
            body = stored(Message(alone))
            await tx.outbox.enqueue(
                scope=scope, key=f"nudge|{key}|{user}", channel_id=user, payload=body, now=now, kind="dm"
            )
        rules = self.course.project_rules
        for g in state.groups:
            if len(g.members) >= rules.min_size:
                continue
            small = rich(
                "Your group ",
                bold(typed(g.name)),
                f" has {len(g.members)} of at least {rules.min_size} students "
                f"(recommended {rules.recommended_size}), and groups lock ",
                deadline,
                f". Share your code `{g.code}` or ask an instructor to place someone with you.",
            )
            for user in g.members:
                await tx.outbox.enqueue(
                    scope=scope,
                    key=f"nudge|{key}|{user}",
                    channel_id=user,
                    payload=stored(Message(small)),
                    now=now,
                    kind="dm",
                )
