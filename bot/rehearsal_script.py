"""The dry run's script on any platform: what the simulated class does, and when, through a `Stage`.

The instructor starts the plan, checks the class in, assigns roles and steers once or twice; students
acknowledge their role cards (a few late), file their role's form, and groups submit slides (one late,
one never). Who does what is drawn by `bot.core.rehearsal` from a seed; how a person types a command
or presses a button is the platform's `Stage` (Discord: `bot.rehearse`, Slack: `bot.rehearse_slack`).
`Rehearsing` runs one afternoon: the platform's sandbox and bot, the script, the measured summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from bot.config import load_config
from bot.core.clock import Clock
from bot.core.durations import duration
from bot.core.plan import Course, Field, Plan, WebOptions
from bot.core.rehearsal import ClassBehaviour, behaviour, compress, form_timing, sample_answer, speed_for
from bot.rehearsal_report import ROLE_FORMS, Options, Report, Transcript, export, measure
from bot.storage.db import Database
from bot.storage.models import AssignmentRow, PostRow, SessionRow
from bot.storage.sessions import timeline_of

log = logging.getLogger(__name__)


class Stage(Protocol):
    """How the simulated people act on one platform. Students are numbered from 1; one instructor."""

    platform: str  # as the summary names it ("Discord", "Slack")

    def offers(self, command: str) -> bool:
        """Whether the bot offers a command (its top-level name, e.g. "deliverable")."""
        ...

    async def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:  # noqa: ASYNC109
        """Wait until `predicate()` is truthy, re-checked on every change the platform sees."""
        ...

    def name(self, number: int) -> str:
        """A student's display name."""
        ...

    def stored_id(self, number: int) -> int:
        """A student's id as the bot stores it."""
        ...

    async def start(self, plan: str) -> str:
        """The instructor starts a plan; what they were answered."""
        ...

    async def projector(self) -> str | None:
        """The instructor asks for the projector page; its link, if one was given."""
        ...

    async def steer(self, verb: str, minutes: float | None = None) -> None:
        """The instructor pauses, resumes or extends (by `minutes`) the session."""
        ...

    def phase_seen(self, name: str) -> bool:
        """Whether the bot has announced a phase (in the class channel or any room)."""
        ...

    def ended(self) -> bool:
        """Whether the bot has said the session is over."""
        ...

    async def post_checkin(self) -> None:
        """The instructor posts the check-in, and it is seen in the class channel."""
        ...

    async def check_in(self, number: int) -> None:
        """A student presses "I'm here"."""
        ...

    async def assign(self) -> str | None:
        """The instructor previews the assignment and presses Confirm; the refusal's text if there was one."""
        ...

    async def confirmed(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the instructor is told "Confirmed for ..." (every card is out)."""
        ...

    def card(self, number: int) -> bool:
        """Whether a student's role card (with its "Got it" button) is in their DMs."""
        ...

    async def acknowledge(self, number: int) -> None:
        """A student presses "Got it" on their card."""
        ...

    def reached(self, number: int) -> bool:
        """Whether a student got their card by DM, or the fallback ping in their group's room."""
        ...

    async def open_form(self, number: int) -> object | str:
        """A student opens their role's form: the open form, or the text they were answered instead."""
        ...

    async def file_form(
        self, number: int, form: object, fields: Sequence[Field], answers: Mapping[str, str]
    ) -> str:
        """A student fills in every field of the open form and sends it; what they were answered."""
        ...

    async def submit_slides(self, number: int, url: str) -> str:
        """A student submits their group's slides link; what they were answered."""
        ...


class Running(Protocol):
    """What the rehearsal reads of a running bot (Discord's `ConductorBot`, Slack's `SlackConductor`)."""

    db: Database
    clock: Clock


class Rehearsing(ABC):
    """One dry run: the course compressed, the class drawn, a platform's sandbox and bot, the script."""

    platform = "Discord"

    def __init__(self, options: Options) -> None:
        self.options = options
        course = load_config(options.config)
        self.plan: Plan = course.plan(options.plan)
        self.speed = options.speed or speed_for(self.plan)
        self.course: Course = compress(course, self.speed)
        if self.course.web is None:  # the projector page is on during a rehearsal, on this machine only
            self.course = replace(self.course, web=WebOptions(host="127.0.0.1", port=0))
        self.fast_plan = self.course.plan(self.plan.name)
        self.behaviour: ClassBehaviour = behaviour(
            options.students, len(course.papers), self.plan, options.seed
        )
        self.report = Report(platform=self.platform)
        self.running: Running | None = None  # the bot, once `open` started it
        self.transcript = Transcript(options.echo, self.fast_plan.total.total_seconds())

    # --- what each platform provides -------------------------------------------------------------

    @abstractmethod
    async def open(self, database_url: str) -> Stage:
        """Start the sandbox with the class in it and the real bot against it; the stage to act on."""

    @abstractmethod
    async def close(self) -> None:
        """Stop the bot (as SIGTERM would) and the sandbox."""

    @property
    def database(self) -> Database:
        """The running bot's database."""
        assert self.running is not None, "the bot is not running"
        return self.running.db

    @property
    def clock(self) -> Clock:
        """The running bot's clock."""
        assert self.running is not None, "the bot is not running"
        return self.running.clock

    @abstractmethod
    def received(self, post: PostRow) -> datetime | None:
        """When the sandbox stored a post the outbox sent (None: it is not there)."""

    @abstractmethod
    def count_traffic(self) -> None:
        """Fill the report's requests and 429s from what the sandbox saw."""

    # --- the run ---------------------------------------------------------------------------------

    async def run(self) -> Report:
        """Run the afternoon and return what was measured."""
        workdir = self.options.out or Path(tempfile.mkdtemp(prefix="conductor-rehearsal-"))
        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / "rehearsal.db"
        db.unlink(missing_ok=True)
        database_url = f"sqlite+aiosqlite:///{db}"
        total = self.fast_plan.total.total_seconds()
        self.options.echo(
            f"Rehearsing '{self.plan.name}' ({duration(self.plan.total)} of class time) on {self.platform} "
            f"at {self.speed:g}x: about {duration(self.fast_plan.total)}, {self.options.students} students, "
            f"seed {self.options.seed}"
        )
        began = time.monotonic()
        try:
            stage = await self.open(database_url)
            self.transcript.began = began = time.monotonic()
            await Script(self, stage).play(timeout=total * 3 + 60)
        finally:
            self.report.duration_s = time.monotonic() - began
            await self.close()
        self.report.transcript = self.transcript.lines
        self.count_traffic()
        session_id = await measure(self.report, database_url, self.course, self.received)
        if self.options.out is not None and session_id is not None:
            self.report.exports = await export(self.course, database_url, session_id, workdir)
        self.options.echo(self.report.summary())
        if self.options.out is not None:
            (workdir / "transcript.txt").write_text("\n".join(self.transcript.lines) + "\n")
            (workdir / "summary.txt").write_text(self.report.summary() + "\n")
        return self.report


class Script:
    """The people: an instructor who starts, assigns and steers, and students who answer."""

    def __init__(self, rehearsal: Rehearsing, stage: Stage) -> None:
        self.r = rehearsal
        self.stage = stage
        self.numbers = range(1, rehearsal.options.students + 1)
        self.tasks: list[asyncio.Task[None]] = []
        self.assigned = asyncio.Event()  # the assignment is confirmed: seats exist, forms can be filed

    async def phase_started(self, name: str, timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the bot announces a phase."""
        await self.stage.wait_for(
            lambda: self.stage.phase_seen(name), timeout, f"the phase '{name}' to start"
        )

    async def play(self, timeout: float) -> None:  # noqa: ASYNC109
        """Run the whole afternoon."""
        plan, stage = self.r.fast_plan, self.stage
        answer = await stage.start(plan.name)
        if "Started" not in answer:
            raise RuntimeError(f"the session did not start: {answer}")
        link = await stage.projector()
        if link:
            self.r.options.echo(f"Projector page (open it in a browser while the rehearsal runs): {link}")
        assign_phase = next((p for p in plan.phases if "assign" in p.key or "assign" in p.name.lower()), None)
        self.tasks.append(
            asyncio.create_task(self.assign(assign_phase.name if assign_phase else None, timeout))
        )
        self.tasks.append(asyncio.create_task(self.steer(timeout)))
        if stage.offers("deliverable"):
            self.tasks.append(asyncio.create_task(self.forms(self.form_phase(), timeout)))
        collect = next((p for p in plan.phases if p.collect_slides), None)
        if collect is not None and stage.offers("submit"):
            self.tasks.append(asyncio.create_task(self.slides(collect.name, timeout)))
        try:
            await stage.wait_for(stage.ended, timeout, "the end of the session")
            for task in self.tasks:  # let the people finish what they were doing (cards, slides)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(task), timeout=30)
        finally:
            for task in self.tasks:
                task.cancel()
            results = await asyncio.gather(*self.tasks, return_exceptions=True)
            for result in results:
                if isinstance(result, Exception) and not isinstance(result, asyncio.CancelledError):
                    log.warning("a simulated person got stuck: %r", result)

    async def assign(self, phase_name: str | None, timeout: float) -> None:  # noqa: ASYNC109
        """The instructor assigns roles at the assign phase and confirms; students acknowledge."""
        stage = self.stage
        if not stage.offers("assign"):
            return
        if phase_name:
            await self.phase_started(phase_name, timeout)
        if stage.offers("checkin"):
            await stage.post_checkin()
            await asyncio.gather(*(stage.check_in(n) for n in self.numbers))
        refused = await stage.assign()
        if refused is not None:  # the bot refused this class: that is the rehearsal's finding
            self.r.report.problems.append(f"/assign was refused: {refused}")
            self.r.options.echo(f"!! /assign was refused: {refused}")
            return

        async def summary() -> None:  # the instructor waits for "Confirmed for ..." once every card is out
            await stage.confirmed(timeout=120)
            self.assigned.set()

        await asyncio.gather(summary(), *(self.acknowledge(n) for n in self.numbers))
        await stage.wait_for(
            lambda: all(stage.reached(n) for n in self.numbers), 120, "every student's role card or fallback"
        )

    async def acknowledge(self, number: int) -> None:
        """A student presses "Got it" on their card (late ones after a while, some never)."""
        b = self.r.behaviour
        if number in b.never_ack or number in b.dms_closed:
            return
        await self.stage.wait_for(
            lambda: self.stage.card(number), 60, f"{self.stage.name(number)}'s role card"
        )
        if number in b.late_ack:
            await asyncio.sleep(self.r.fast_plan.phases[0].duration.total_seconds())  # a late reader
        await self.stage.acknowledge(number)

    async def steer(self, timeout: float) -> None:  # noqa: ASYNC109
        """The instructor pauses once in the longest phase and extends another phase once."""
        b = self.r.behaviour
        phases = {p.key: p for p in self.r.fast_plan.phases}
        steps = []
        for key, action in ((b.pause_phase, "pause"), (b.extend_phase, "extend")):
            if key in phases:
                steps.append((list(phases).index(key), key, action))
        for _, key, action in sorted(steps):
            phase = phases[key]
            await self.phase_started(phase.name, timeout)
            await asyncio.sleep(phase.duration.total_seconds() / 3)  # the teacher reacts a while into it
            if action == "pause":
                await self.stage.steer("pause")
                await asyncio.sleep(phase.duration.total_seconds() / 5)  # the class takes a breath
                await self.stage.steer("resume")
            else:
                await self.stage.steer("extend", minutes=5 / self.r.speed)

    def form_phase(self) -> str | None:
        """The phase in which students work on their role: one named for it, else the one after /assign."""
        phases = list(self.r.fast_plan.phases)
        first = next((i for i, p in enumerate(phases) if "assign" in p.key or "assign" in p.name.lower()), -1)
        after = [p for p in phases[first + 1 :] if p.kind == "activity"]
        chosen = next((p for p in after if "role" in p.key or "role" in p.name.lower()), None)
        if chosen is None and after:
            chosen = after[0]
        return chosen.name if chosen is not None else None

    async def seats(self) -> tuple[dict[int, AssignmentRow], SessionRow | None]:
        """The confirmed seats by stored user id, and the session, as the bot stored them."""
        async with self.r.database.session() as s:
            rows = list(await s.scalars(select(AssignmentRow).where(AssignmentRow.status == "confirmed")))
            session = await s.scalar(select(SessionRow).order_by(SessionRow.id.desc()).limit(1))
        return {row.user_id: row for row in rows}, session

    async def forms(self, phase_name: str | None, timeout: float) -> None:  # noqa: ASYNC109
        """Students whose role has a form file it during the role phase (a few late, one or two never)."""
        await asyncio.wait_for(self.assigned.wait(), timeout)
        if phase_name:
            await self.phase_started(phase_name, timeout)
        seats, session = await self.seats()
        roles = {uid: self.r.course.role(seat.role_key) for uid, seat in seats.items()}
        # Late students file a phase's length later, but while the session still runs (when the card
        # fan-out takes most of a compressed afternoon, "a phase later" could fall after its end).
        left = (timeline_of(session).ends_at - self.r.clock.now()).total_seconds() if session else 0.0
        holders = {n for n in self.numbers if (role := roles.get(self.stage.stored_id(n))) and role.fields}
        late, never = form_timing(self.r.behaviour, holders)
        phase = next((p for p in self.r.fast_plan.phases if p.name == phase_name), self.r.fast_plan.phases[0])
        delay = min(phase.duration.total_seconds(), max(0.0, left / 2))
        await asyncio.gather(
            *(
                self.file_form(n, roles[self.stage.stored_id(n)].fields, delay if n in late else 0)
                for n in sorted(holders - never)
            )
        )

    async def file_form(self, number: int, fields: Sequence[Field], delay: float) -> None:
        """One student opens their form, fills in every field and sends it."""
        if delay:
            await asyncio.sleep(delay)  # a late student files after the phase
        name = self.stage.name(number)
        opened = await self.stage.open_form(number)
        if isinstance(opened, str):
            if f"not on {self.stage.platform} yet" in opened:
                self.r.report.missing(ROLE_FORMS)
            else:
                self.r.report.problems.append(f"{name}'s form did not open: {opened.strip()}")
            return
        answers = {f.key: sample_answer(f, self.r.options.seed * 1000 + number) for f in fields}
        sent = await self.stage.file_form(number, opened, fields, answers)
        if "form for" not in sent:
            self.r.report.problems.append(f"{name}'s form was refused: {sent.strip()}")

    async def slides(self, phase_name: str, timeout: float) -> None:  # noqa: ASYNC109
        """Each paper group submits its slides link at the collecting phase (one late, one never)."""
        await self.phase_started(phase_name, timeout)
        b = self.r.behaviour
        seats, _ = await self.seats()
        for index, paper in enumerate(p.key for p in self.r.course.papers):
            if index == b.silent_group:
                continue
            # One member of each group: the first student seated on that paper.
            member = next((n for n in self.numbers if self.paper_of(seats, n) == paper), None)
            if member is None:
                continue
            if index == b.late_group:
                await asyncio.sleep(self.r.fast_plan.phases[0].duration.total_seconds())
            await self.stage.submit_slides(member, f"https://slides.example.org/{paper}")

    def paper_of(self, seats: Mapping[int, AssignmentRow], number: int) -> str | None:
        """The paper a student is seated on, if any."""
        seat = seats.get(self.stage.stored_id(number))
        return seat.paper_key if seat is not None else None


def main_rehearse(options: Options) -> int:
    """Entry point for the CLI: run the rehearsal on its platform and return an exit code."""
    for library in ("discord", "slack_bolt"):  # their start-up notices are not the rehearsal's findings
        logging.getLogger(library).setLevel(logging.ERROR)
    rehearsal: Rehearsing
    if options.platform == "slack":
        from bot.rehearse_slack import SlackRehearsal

        rehearsal = SlackRehearsal(options)
    else:
        from bot.rehearse import Rehearsal

        rehearsal = Rehearsal(options)
    report = asyncio.run(rehearsal.run())
    return 0 if report.phases and not report.problems else 1
