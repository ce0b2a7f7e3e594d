"""Running sessions: start, steer, and the one dispatcher that posts each phase on time.

The database is the truth. Every change (a command, or a timer firing) runs in one transaction that
updates the session's clock and writes the posts it calls for into the outbox; then the outbox is
delivered and the next timer is set from the stored times. At start-up, timers are rebuilt from the
database, and whatever happened while the bot was down is announced once.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot import logs
from bot.core import statuses
from bot.core.clock import Clock
from bot.core.durations import duration
from bot.core.errors import ConductorError, quoted
from bot.core.message import Code, Message, rich
from bot.core.plan import Course
from bot.core.statuses import SessionAction as Act
from bot.core.steps import build_steps
from bot.core.submissions import SLIDES, slides_group
from bot.core.timeline import Announce, Finish, Position, Step, Timeline, Warn, decide
from bot.messages import session as render
from bot.messages.outbox import stored
from bot.services.changes import Changes
from bot.services.ports import SessionRecord, Timers, Transaction, UnitOfWork

log = logging.getLogger(__name__)


class CollectHook(Protocol):
    """Adds reminders for a slide-collecting phase to the outbox, in the caller's transaction."""

    async def __call__(self, tx: Transaction, session_id: int, at: datetime, scope: str) -> int:
        """Enqueue the reminders; returns how many."""
        ...


class AnnounceHook(Protocol):
    """Adds posts that go with a phase's announcement (after it), in the caller's transaction."""

    async def __call__(
        self, tx: Transaction, guild_id: int, channel_id: int, phase: str, scope: str, key: str, at: datetime
    ) -> int:
        """Enqueue the posts; returns how many."""
        ...


Post = TypeVar("Post")


class Outbox(Protocol[Post]):
    """Where session posts go once decided: read ahead, then delivered (bot.delivery.Deliverer).

    The posts read ahead are the deliverer's own: the service only hands them back to `flush`.
    """

    async def pending(self, scope: str) -> list[Post]:
        """Undelivered posts of a scope."""
        ...

    async def flush(self, scope: str, rows: list[Post] | None = None, patience: float | None = None) -> None:
        """Deliver a scope's posts that are due, waiting at most `patience` seconds for any one of them."""
        ...


RETRY = timedelta(seconds=2)  # how soon a transition that failed (database unavailable) is tried again
LEAD = timedelta(seconds=1)  # how long before a transition its posts are decided and stored
# Marking the previous phase "over" is cosmetic: it waits a moment so that, when many sessions change
# phase at once, every new phase's post goes out before any of those edits use up the rate limit.
EDIT_DELAY = timedelta(seconds=1.5)
# How long a transition waits for one post before leaving it to finish in the background (e.g. while
# discord.py retries a 5xx), so a post Discord keeps failing never holds up the session's next posts.
PATIENCE = 1.5


def scope_of(session_id: int) -> str:
    """The outbox scope of a session's posts."""
    return f"session:{session_id}"


@dataclass(frozen=True)
class SessionStatus:
    """What `/session status` shows."""

    session_id: int
    plan_name: str
    position: Position
    timeline: Timeline
    channel_id: int


@dataclass(frozen=True)
class Seats:
    """Who sits where in a session, and the threads made for them (empty before `/assign`)."""

    by_paper_role: dict[tuple[str, str], tuple[int, ...]]
    threads: dict[str, int]
    slides: dict[str, str]  # slides group key (bot.core.submissions.slides_group) -> url

    def paper_members(self, paper: str) -> tuple[int, ...]:
        """Everyone in a paper group."""
        return tuple(sorted(u for (p, _), users in self.by_paper_role.items() if p == paper for u in users))

    @property
    def everyone(self) -> tuple[int, ...]:
        """Every assigned student."""
        return tuple(sorted(u for users in self.by_paper_role.values() for u in users))


class SessionService:
    """Starts and steers sessions and posts their phases; knows nothing of Discord beyond channel ids."""

    def __init__(
        self,
        course: Course,
        uow: UnitOfWork,
        scheduler: Timers,
        clock: Clock,
        outbox: Outbox[Any],
        changes: Changes | None = None,
        *,
        on_collect: CollectHook | None = None,
        on_announce: AnnounceHook | None = None,
        on_ended: Callable[[int], Awaitable[None]] | None = None,
        owns: Callable[[int], bool] | None = None,
    ) -> None:
        self.course = course
        self.changes = changes or Changes()
        self.uow = uow
        self.scheduler = scheduler
        self.clock = clock
        self.outbox = outbox
        # Called inside the transaction that announces (or warns about the end of) a phase that
        # collects slides, so reminders to groups without slides go out with that post.
        self.on_collect = on_collect
        # Called once a session's end has been announced (outside any transaction): tidy-up such as
        # archiving its threads.
        self.on_ended = on_ended
        # Called inside the transaction that announces a phase, after its posts (e.g. the project
        # proposal cards that go with the proposals phase).
        self.on_announce = on_announce
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        # One session decides and reads its posts ahead at a time: when hundreds change phase at the same
        # instant, each reads its posts right after deciding, not behind every other session's decision in
        # the queue for the database, so the first sessions' posts are ready when the instant comes.
        self._ahead = asyncio.Lock()
        # The guilds this process serves (all, unless sharded across processes: bot.core.shards).
        self.owns = owns

    # --- commands -----------------------------------------------------------------------------

    async def start(
        self, *, guild_id: int, channel_id: int, plan_name: str | None, at: datetime | None, actor_id: int
    ) -> SessionRecord:
        """Start a plan now or at `at` in a channel that has no live session."""
        now = self.clock.now()
        name = plan_name or self.course.default_plan
        if name not in self.course.plans:
            known = ", ".join(f"`{p}`" for p in self.course.plans)
            said = rich(
                "There is no plan called ", Code(quoted(name, 64)), f". Plans in the configuration: {known}."
            )
            raise ConductorError(said)
        plan = self.course.plan(name)
        steps = build_steps(self.course, plan)
        start = at or now
        async with self.uow.begin() as tx:
            if await tx.sessions.live_in_channel(guild_id, channel_id) is not None:
                raise ConductorError(
                    f"A session is already running in <#{channel_id}>. Use `/session status` to see it, or "
                    "`/session stop` to end it before starting another."
                )
            timeline = Timeline(steps, start)
            row = await tx.sessions.add(
                guild_id=guild_id,
                channel_id=channel_id,
                plan_name=name,
                status=statuses.SessionStatus.SCHEDULED if start > now else statuses.SessionStatus.RUNNING,
                timeline=timeline,
                created_by=actor_id,
                created_at=now,
            )
            await tx.sessions.log_event(
                row.id, "start", now, actor_id, starts_at=start.isoformat(), plan=name
            )
            names = {key: phase.name for key, phase in self.course.phases.items()}
            await self._post(tx, row, "run-of-show", render.run_of_show(name, timeline, names))
        await self.outbox.flush(scope_of(row.id), patience=PATIENCE)
        await self.tick(row.id)
        self.changes.changed(row.id)
        return row

    async def control(
        self,
        *,
        guild_id: int,
        channel_id: int,
        action: statuses.SessionAction,
        actor_id: int,
        minutes: float | None = None,
    ) -> str:
        """Pause, resume, extend, skip, go back or stop the channel's session; returns the answer to show."""
        now = self.clock.now()
        async with self.uow.read() as tx:
            found = await tx.sessions.live_in_channel(guild_id, channel_id)
        if found is None:
            raise ConductorError(
                f"No session is running in <#{channel_id}>. Start one with `/session start`."
            )
        async with self._locks[found.id], self.uow.begin() as tx:
            now = self.clock.now()  # after the lock: a transition being posted right now comes first
            row = await tx.sessions.get(found.id)
            assert row is not None
            before = row.timeline
            timeline, headline = self._apply(before, action, now, minutes)
            row.timeline = timeline
            position = timeline.position(now)
            row.status = self._status(position)
            # The event's id numbers its notice: a key no other post can have.
            event = await tx.sessions.log_event(
                row.id, statuses.EventKind(action.value), now, actor_id, minutes=minutes, index=position.index
            )
            if action is Act.BACK and position.step is not None:
                # The step we went back to restarts now: announced again, through the same path as any
                # announcement (its own key; the current step's post is marked over), saying so.
                again = Announce(position.index, timedelta(), (), None, again=True)
                seats = await self._seats(tx, row.id)
                await self._record(tx, row, timeline, again, seats, now)
                row.cursor = position.index
            elif action in {Act.PAUSE, Act.RESUME, Act.EXTEND} and position.step is not None:
                notice = render.change_notice(headline, timeline, position)
                await self._post(tx, row, f"change:{event}", notice)
            await tx.sessions.save(row)
            answer = self._answer(action, timeline, position, before)
        await self.tick(row.id)
        self.changes.changed(row.id)
        return answer

    def _apply(
        self, timeline: Timeline, action: statuses.SessionAction, now: datetime, minutes: float | None
    ) -> tuple[Timeline, str]:
        match action:
            case Act.PAUSE:
                return timeline.pause(now), "Paused: the clock is stopped"
            case Act.RESUME:
                return timeline.resume(now), "Resumed: the clock runs again"
            case Act.EXTEND:
                if minutes is None:
                    raise ConductorError(
                        "Say by how many minutes, e.g. `/session extend minutes:5` (or -5 to shorten)."
                    )
                if not math.isfinite(minutes) or abs(minutes) > 24 * 60:  # timedelta would overflow first
                    raise ConductorError(
                        "A phase can be extended or shortened by at most a day (1440 minutes)."
                    )
                delta = timedelta(minutes=minutes)
                verb = "Extended" if minutes > 0 else "Shortened"
                return timeline.extend(now, delta), f"{verb} by {duration(abs(delta), exact=True)}"
            case Act.NEXT:
                return timeline.skip(now), "Moved on"
            case Act.BACK:
                return timeline.back(now), "Went back"
            case Act.STOP:
                return timeline.stop(now), "Stopped"

    @staticmethod
    def _status(position: Position) -> statuses.SessionStatus:
        return {
            "scheduled": statuses.SessionStatus.SCHEDULED,
            "running": statuses.SessionStatus.RUNNING,
            "paused": statuses.SessionStatus.PAUSED,
        }.get(position.state, statuses.SessionStatus.ENDED)

    @staticmethod
    def _answer(
        action: statuses.SessionAction, timeline: Timeline, position: Position, before: Timeline
    ) -> str:
        if position.step is None:
            return "Stopped: the session is over." if action is Act.STOP else "Done: the session is over."
        shift = timeline.shifted_by(before)
        moved = ""
        if shift and position.state != "paused":
            sign = "later" if shift > timedelta() else "earlier"
            moved = f" Everything after moves {duration(abs(shift))} {sign}."
        return f"Done: now **{position.step.name}**.{moved}"

    async def status(self, guild_id: int, channel_id: int) -> SessionStatus:
        """The channel's live session and where it is."""
        async with self.uow.read() as tx:
            row = await tx.sessions.live_in_channel(guild_id, channel_id)
        if row is None:
            raise ConductorError(
                f"No session is running in <#{channel_id}>. Start one with `/session start`."
            )
        timeline = row.timeline
        return SessionStatus(
            row.id, row.plan_name, timeline.position(self.clock.now()), timeline, row.channel_id
        )

    # --- the dispatcher ---------------------------------------------------------------------------

    async def rebuild(self) -> None:
        """At start-up: work out where every live session should be, post what is due once, set timers."""
        async with self.uow.read() as tx:
            rows = await tx.sessions.all_live(self.owns)
        for row in rows:
            await self.tick(row.id)

    async def tick(self, session_id: int, due: datetime | None = None) -> None:
        """Post whatever is due for a session at `due` (default: now) and set the timer for the next thing.

        The timer fires `LEAD` before a transition: the decision and its posts are written to the
        database ahead of time, and at the instant itself only the sending is left, so a post is not
        late by the time the database takes. Commands wait on the same lock, so nothing slips between
        deciding and the instant. Sending happens after the lock and waits at most `PATIENCE` for any
        one post (a post Discord keeps failing is retried in the background), so neither the commands
        nor the next transition wait for it; the next timer is set once this round is out, so a
        transition that comes while Discord's rate limits still hold the last one is folded, not queued.
        """
        logs.bind(session=session_id)
        async with self._locks[session_id]:
            async with self._ahead:
                now = self.clock.now()
                at = max(due or now, now)
                try:
                    wake, stored, due_status = await self._decide_and_record(session_id, at)
                except Exception:  # e.g. the database locked by another process: try again, never stall
                    log.exception(
                        "session %s: could not decide what is due; retrying in %s", session_id, RETRY
                    )
                    self.scheduler.at(
                        f"session:{session_id}", self.clock.now() + RETRY, self.tick, session_id, due
                    )
                    return
                ahead = at > self.clock.now()
                rows = await self.outbox.pending(scope_of(session_id)) if ahead else None  # read ahead too
            if ahead:
                # Wait for the transition itself: the work is done, only sending is left.
                await asyncio.sleep(max(0.0, (at - self.clock.now()).total_seconds()))
                if (early := (at - self.clock.now()).total_seconds()) > 0:  # the loop can wake a hair early
                    await asyncio.sleep(early + 0.001)
            self.changes.changed(session_id)  # the room's screen changes at the instant, with the posts
        try:
            await self.outbox.flush(scope_of(session_id), rows, patience=PATIENCE)
        except Exception:  # the clock must keep running whatever happened to one post
            log.exception("delivering posts of session %s failed; they stay in the outbox", session_id)
            # e.g. the database unreachable: try them again soon, not only at the next transition.
            scope = scope_of(session_id)
            self.scheduler.at(f"outbox:{scope}", self.clock.now() + RETRY, self.outbox.flush, scope)
        if stored != due_status:  # decided ahead: the status catches up now that the instant has come
            try:
                await self._settle_status(session_id)
                stored = due_status
            except Exception:
                log.exception("session %s: could not update its status; the next transition will", session_id)
        if wake is None and self.on_ended is not None and stored == statuses.SessionStatus.ENDED:
            await self.on_ended(session_id)
        job = f"session:{session_id}"
        if wake is None:
            self.scheduler.cancel(job)
        else:
            now = self.clock.now()
            # Prepare LEAD ahead, but never sooner than halfway there (compressed plans move fast).
            self.scheduler.at(job, max(wake - LEAD, now + (wake - now) / 2), self.tick, session_id, wake)

    async def _decide_and_record(
        self, session_id: int, now: datetime
    ) -> tuple[datetime | None, statuses.SessionStatus | None, statuses.SessionStatus | None]:
        """Record what is due at `now`; when to wake next, the status stored and the status at `now`."""
        async with self.uow.begin() as tx:
            row = await tx.sessions.get(session_id)
            if row is None or (
                row.status == statuses.SessionStatus.ENDED and row.cursor >= len(row.timeline.steps)
            ):
                status = statuses.SessionStatus(row.status) if row is not None else None
                return None, status, status  # over, and its end already announced
            timeline = row.timeline
            done = await tx.outbox.keys(scope_of(row.id), "warn:")
            decision = decide(timeline, now, row.cursor, done)
            seats = await self._seats(tx, row.id) if decision.actions else Seats({}, {}, {})
            for action in decision.actions:
                await self._record(tx, row, timeline, action, seats, now)
            row.cursor = decision.cursor
            # The status is what holds now, not at the instant decided ahead (`LEAD`): submissions stay
            # open until the end itself. `_settle_status` catches up once the instant has come.
            row.status = self._status(timeline.position(min(now, self.clock.now())))
            await tx.sessions.save(row)
            return decision.wake_at, row.status, self._status(timeline.position(now))

    async def _settle_status(self, session_id: int) -> None:
        """Bring a session's stored status up to the clock (after a transition decided ahead of time)."""
        async with self._locks[session_id], self.uow.begin() as tx:
            row = await tx.sessions.get(session_id)
            if row is not None and row.status != statuses.SessionStatus.ENDED:
                row.status = self._status(row.timeline.position(self.clock.now()))
                await tx.sessions.save(row)

    async def _record(
        self,
        tx: Transaction,
        row: SessionRecord,
        timeline: Timeline,
        action: Any,
        seats: Seats,
        now: datetime,
    ) -> None:
        windows = timeline.windows()
        steps = timeline.steps
        if isinstance(action, Warn):
            step = steps[action.index]
            for key in action.keys[1:]:
                await self._mark_done(tx, row, key)
            if action.remaining is None:
                await self._mark_done(tx, row, action.keys[0])
                return
            end = windows[action.index][1]
            await self._collect_reminders(tx, row, step, now)
            for audience in self._audiences(row, step, seats, warn=True):
                body = render.warning(step, end, action.remaining, audience)
                await self._post(
                    tx, row, f"{action.keys[0]}:{audience.channel_id}", body, audience.channel_id, now
                )
            await self._mark_done(tx, row, action.keys[0])
            return
        previous = steps[action.previous].name if action.previous is not None else None
        missed = [steps[i].name for i in action.missed]
        if action.previous is not None:
            await self._log_overtime(tx, row, timeline, action.previous, now)
        if isinstance(action, Finish):
            stopped = timeline.stopped_at is not None
            await self._post(tx, row, "finished", render.finished(previous, missed, stopped), at=now)
            await self._close_posts(tx, row, now)
            await tx.sessions.log_event(row.id, "finished", now, None, stopped=stopped)
            return
        assert isinstance(action, Announce)
        step = steps[action.index]
        start, end = windows[action.index]
        nxt = (
            (steps[action.index + 1].name, windows[action.index + 1][0])
            if action.index + 1 < len(steps)
            else None
        )
        text = self.course.phases[step.phase].text if step.phase in self.course.phases else ""
        slot = None
        if step.kind == "slot" and step.paper and step.role:
            slot = render.SlotInfo(
                presenters=seats.by_paper_role.get((step.paper, step.role), ()),
                slides=seats.slides.get(slides_group(step.paper, step.role, self.course.slides_per)),
                next_name=nxt[0] if nxt else None,
            )
            text = ""
        phase = self.course.phases.get(step.phase)
        view = (
            {"name": "submit-slides", "args": {"session": row.id}} if phase and phase.collect_slides else None
        )
        # Every announcement is numbered by its event (ids only grow), so its posts' keys are unique
        # by construction: a step announced again after `/session back` can never collide with the
        # first announcement of that step and be dropped.
        event = await tx.sessions.log_event(
            row.id, "announced", now, None, index=action.index, late_s=action.late.total_seconds()
        )
        position = timeline.position(now)
        restarting = action.again and position.state != "paused"  # while paused, later times still move
        later = render.later_times(timeline, action.index) if restarting else None
        keys = []
        audiences = self._audiences(row, step, seats)
        for audience in audiences:
            body = render.announce(
                step,
                text,
                (start, end),
                audience=audience,
                late=action.late,
                missed=missed,
                previous=previous,
                next_step=nxt,
                slot=slot,
                view=view,
                again=position if action.again else None,
                later=later,
            )
            key = f"start:{action.index}:{event}:{audience.channel_id}"  # step index first, as readers expect
            await self._post(tx, row, key, body, audience.channel_id, now)
            keys.append(key)
        if self.on_announce is not None and step.kind != "slot":
            extra = f"with:{action.index}:{event}"  # numbered by the announcement, like its post
            await self.on_announce(tx, row.guild_id, row.channel_id, step.phase, scope_of(row.id), extra, now)
        if action.again and all(a.channel_id != row.channel_id for a in audiences):
            # The step runs in threads: the class channel is told of the shift as of any other.
            headline = f"Back to {step.name}"
            await self._post(tx, row, f"change:{event}", render.change_notice(headline, timeline, position))
        await self._collect_reminders(tx, row, step, now)
        await self._close_posts(tx, row, now)  # after the new phase's posts: they go out first
        row.open_posts = keys

    async def _collect_reminders(self, tx: Transaction, row: SessionRecord, step: Step, at: datetime) -> None:
        phase = self.course.phases.get(step.phase)
        if self.on_collect is not None and phase is not None and phase.collect_slides:
            await self.on_collect(tx, row.id, at, scope_of(row.id))

    async def _log_overtime(
        self, tx: Transaction, row: SessionRecord, timeline: Timeline, index: int, now: datetime
    ) -> None:
        step = timeline.steps[index]
        if step.kind != "slot":
            return
        overtime = timeline.durations[index] - step.planned
        await tx.sessions.log_event(
            row.id, "slot-ended", now, None, slot=step.key, overtime_s=overtime.total_seconds()
        )

    async def _close_posts(self, tx: Transaction, row: SessionRecord, now: datetime) -> None:
        """Edit the current step's posts to show it is over."""
        for key in row.open_posts:
            original = await tx.outbox.find(scope_of(row.id), key)
            if original is None:
                continue
            body = render.mark_over(original.payload, now)
            body["target"] = key
            await tx.outbox.enqueue(
                scope=scope_of(row.id),
                key=f"over:{key}",
                channel_id=original.channel_id,
                payload=body,
                now=self.clock.now(),
                kind="edit",
                not_before=now + EDIT_DELAY,
                guild_id=row.guild_id,
            )
        row.open_posts = []

    def _audiences(
        self, row: SessionRecord, step: Any, seats: Seats, warn: bool = False
    ) -> list[render.Audience]:
        """Where a step's posts go: the class channel, each group's thread, or each partner thread."""
        course = self.course
        if step.audience == "groups" and seats.by_paper_role:
            out = []
            for paper in course.papers:
                members = seats.paper_members(paper.key)
                thread = seats.threads.get(f"group:{paper.key}")
                if members and thread:
                    out.append(render.Audience(thread, f"{paper.title} - group", () if warn else members))
            if out:
                return out
        if step.audience == "partners" and seats.by_paper_role:
            out = []
            for (paper_key, role), members in sorted(seats.by_paper_role.items()):
                thread = seats.threads.get(f"partners:{paper_key}:{role}")
                if members and thread:
                    label = f"{course.paper(paper_key).title} - {course.role(role).plural}"
                    out.append(render.Audience(thread, label, () if warn else members))
            if out:
                return out
        everyone = () if warn or step.kind in {"slot", "wrap-up"} else seats.everyone
        if render.too_many_to_name(everyone):
            # Too many to name in one message (2000 characters): ping the class's role instead.
            return [render.Audience(row.channel_id, "", (), ping_role=course.student_role)]
        return [render.Audience(row.channel_id, "", everyone)]

    async def _seats(self, tx: Transaction, session_id: int) -> Seats:
        seats: dict[tuple[str, str], list[int]] = defaultdict(list)
        for a in await tx.seats.confirmed(session_id):
            seats[(a.paper_key, a.role_key)].append(a.user_id)
        threads = await tx.seats.threads(session_id)
        slides = {
            sub.group_key: sub.payload.get("url", "")
            for sub in await tx.submissions.current(session_id, SLIDES)
        }
        return Seats({k: tuple(sorted(v)) for k, v in seats.items()}, threads, slides)

    async def _post(
        self,
        tx: Transaction,
        row: SessionRecord,
        key: str,
        body: dict[str, Any],
        channel_id: int | None = None,
        at: datetime | None = None,
    ) -> None:
        """Put a session post into the outbox, to be sent no earlier than `at`."""
        body["notify"] = row.created_by
        await tx.outbox.enqueue(
            scope=scope_of(row.id),
            key=key,
            channel_id=channel_id or row.channel_id,
            payload=body,
            now=self.clock.now(),
            not_before=at,
            guild_id=row.guild_id,  # known: the outbox would otherwise look it up through the session
        )

    async def _mark_done(self, tx: Transaction, row: SessionRecord, key: str) -> None:
        """Record a warning as handled without posting anything."""
        await tx.outbox.enqueue(
            scope=scope_of(row.id),
            key=key,
            channel_id=row.channel_id,
            payload=stored(Message()),
            now=self.clock.now(),
            guild_id=row.guild_id,
        )
        await tx.outbox.skip(scope_of(row.id), key)
