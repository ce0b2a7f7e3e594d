"""The composition root: one function builds the application for any chat platform (issue 10).

`build_application` takes the settings' store, timers and clock and what the chat platform's adapter
lends (`FrontEnd`: its outbox deliverer, rooms, and who the students and teachers are) and wires the use
cases together, hooks passed through constructors. `run`, `rehearse`, `export` and the benchmarks all
build through here (Discord: `bot.adapters.discord.wiring.build_bot`; Slack: `bot.adapters.slack`).

    settings ──> Database, Scheduler, Clock ─┐
    chat adapter ──> FrontEnd ───────────────┴─> build_application ──> Application (the use cases)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.clock import Clock, SystemClock
from bot.core.permissions import ConfirmPlan
from bot.core.plan import Course
from bot.scheduling import Scheduler
from bot.services.assignments import AssignmentService
from bot.services.assignments.ports import Flush, PlatformFailed, ThreadPort
from bot.services.calendar import CalendarService
from bot.services.changes import Changes
from bot.services.names import DisplayNames
from bot.services.projector import ProjectorService
from bot.services.projects import ProjectService, Rooms
from bot.services.roster import RosterService
from bot.services.sessions import Outbox, SessionService
from bot.services.submissions import SubmissionService
from bot.storage.db import Database
from bot.storage.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from aiohttp import web

    from bot.web.server import ProjectorServer


@dataclass(frozen=True)
class FrontEnd:
    """What a chat platform's adapter lends the use cases: delivery, rooms, and who is who."""

    outbox: Outbox[Any]  # the deliverer: reads a scope's pending posts and delivers them
    flush: Flush
    threads: ThreadPort  # a session's rooms (Discord: private threads; Slack: private channels)
    rooms: Rooms | None  # project groups' rooms
    instructors: Callable[[int], Sequence[int]]  # a workspace's teachers, by user id
    students: Callable[[int], Sequence[int]]  # a workspace's students, by user id
    class_targets: Callable[[], Sequence[tuple[int, int]]]  # (workspace, class channel) pairs
    owns: Callable[[int], bool] | None = None  # the workspaces this process serves (sharded), or all


@dataclass
class Application:
    """The use cases over one store and one set of timers, ready for a front end to drive."""

    course: Course
    db: Database
    scheduler: Scheduler
    clock: Clock
    changes: Changes
    sessions: SessionService
    assignments: AssignmentService
    roster: RosterService
    submissions: SubmissionService
    projector: ProjectorService
    projects: ProjectService
    calendar: CalendarService
    names: DisplayNames
    web: ProjectorServer | None


def build_application(
    course: Course, db: Database, scheduler: Scheduler, clock: Clock, front: FrontEnd
) -> Application:
    """Wire the use cases to the store, the timers and a chat front end; nothing starts yet."""
    uow = SqlUnitOfWork(db)
    changes = Changes()
    assignments = AssignmentService(course, uow, clock, scheduler, front.flush, front.threads, front.owns)
    submissions = SubmissionService(course, uow, clock, front.flush, changes=changes)
    projector = ProjectorService(course, uow, clock)
    projects = ProjectService(course, uow, clock, front.flush, front.rooms, front.instructors)
    calendar = CalendarService(
        course, uow, clock, scheduler, front.flush, projects, front.class_targets, front.students
    )
    sessions = SessionService(
        course,
        uow,
        scheduler,
        clock,
        front.outbox,
        changes=changes,
        on_collect=submissions.enqueue_slide_reminders,
        on_announce=projects.on_announce,
        on_ended=assignments.archive_threads,
        owns=front.owns,
    )
    web_server: ProjectorServer | None = None
    if course.web is not None:
        from bot.web.server import ProjectorServer  # aiohttp.web and segno only when pages are served

        web_server = ProjectorServer(
            projector, course.tz, host=course.web.host, port=course.web.port, public_url=course.web.public_url
        )
        changes.listen(web_server.notify)
        web_server.routes.append(("/calendar/{token}.ics", calendar_feed(calendar)))
    return Application(
        course=course,
        db=db,
        scheduler=scheduler,
        clock=clock,
        changes=changes,
        sessions=sessions,
        assignments=assignments,
        roster=RosterService(uow),
        submissions=submissions,
        projector=projector,
        projects=projects,
        calendar=calendar,
        names=DisplayNames(uow, clock),
        web=web_server,
    )


def calendar_feed(calendar: CalendarService) -> Callable[[web.Request], Any]:
    """The web handler serving the course calendar as an iCalendar feed at its secret address."""

    async def handle(request: web.Request) -> web.Response:
        import hmac

        from aiohttp import web

        token = await calendar.feed_token()
        if not hmac.compare_digest(request.match_info["token"].encode(), token.encode()):
            raise web.HTTPNotFound(text="Not found.")
        return web.Response(
            body=calendar.ics(),
            content_type="text/calendar",
            charset="utf-8",
            headers={"Content-Disposition": 'inline; filename="course.ics"'},
        )

    return handle


class _Offline:
    """A front end for the command line: it posts nothing and opens no rooms (exports only read)."""

    async def pending(self, scope: str) -> list[Any]:
        """Nothing is waiting: posts stay in the outbox for the running bot."""
        return []

    async def flush(self, scope: str, rows: list[Any] | None = None, patience: float | None = None) -> None:
        """Posts nothing."""

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Refuses: rooms are opened by the running bot."""
        raise PlatformFailed("offline: the command line opens no rooms")

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Refuses, as `create` does."""
        raise PlatformFailed("offline: the command line changes no rooms")

    remove = add

    async def archive(self, thread_id: int) -> None:
        """Refuses, as `create` does."""
        raise PlatformFailed("offline: the command line changes no rooms")

    async def open_dm(self, user_id: int) -> None:
        """Refuses: direct messages are sent by the running bot."""
        raise PlatformFailed("offline: the command line sends no direct messages")

    def plan(self, channel_id: int) -> ConfirmPlan:
        """Nothing can be done offline."""
        return ConfirmPlan(table=False, posts=False, rooms=False, private=False)

    def where(self, channel_id: int) -> str:
        """A channel by its id."""
        return f"channel {channel_id}"


@asynccontextmanager
async def offline_application(course: Course, database_url: str) -> AsyncIterator[Application]:
    """The application over a database with no chat front end: `python -m bot export`, the rehearsal's export."""
    db = Database(database_url)
    offline = _Offline()
    front = FrontEnd(
        outbox=offline,
        flush=offline.flush,
        threads=offline,
        rooms=None,
        instructors=lambda guild_id: (),
        students=lambda guild_id: (),
        class_targets=lambda: (),
    )
    try:
        yield build_application(course, db, Scheduler(), SystemClock(), front)
    finally:
        await db.close()
