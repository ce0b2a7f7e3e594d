"""`python -m bot rehearse`: the whole afternoon against the local sandbox, fast, with a simulated class.

The real bot (same wiring as `python -m bot run`) talks to the sandbox; scripted people behave like a
class: the instructor starts the plan, assigns roles and steers once or twice, students acknowledge
their role cards (a few late), groups submit slides (one late, one never). Everything the bot posts is
printed as a transcript, and a summary closes the run. No token and no network are needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import ConductorBot
from bot.config import load_config
from bot.core.durations import duration
from bot.core.plan import Course, Plan, Role, WebOptions
from bot.core.rehearsal import ClassBehaviour, behaviour, compress, form_timing, sample_answer, speed_for
from bot.core.submissions import DELIVERABLE, SLIDES
from bot.settings import Settings
from bot.storage.models import Acknowledgement, AssignmentRow, CheckIn, PostRow, SessionRow, Submission
from bot.storage.sessions import timeline_of
from bot.wiring import build_bot
from discord_sandbox import Channel, Guild, InteractionResult, Member, Message, Sandbox, SandboxLimits

log = logging.getLogger(__name__)
BAR = 30
MENTION = re.compile(r"<@!?(\d+)>")


@dataclass
class Options:
    """What to rehearse and how."""

    config: Path = Path("config.toml")
    speed: float | None = None
    students: int = 43
    seed: int = 0
    plan: str | None = None
    out: Path | None = None
    echo: Callable[[str], None] = print


@dataclass
class Report:
    """What the rehearsal measured."""

    phases: int = 0
    steps: int = 0
    lateness_ms: list[float] = field(default_factory=list)
    dms: int = 0
    checked_in: int = 0
    fallbacks: int = 0
    acknowledged: int = 0
    submissions: int = 0
    deliverables: int = 0
    forms_due: int = 0
    exports: list[Path] = field(default_factory=list)
    requests: int = 0
    rate_limited: int = 0
    duration_s: float = 0.0
    transcript: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A readable closing summary."""
        late = (
            f"median {statistics.median(self.lateness_ms):.0f} ms, max {max(self.lateness_ms):.0f} ms"
            if self.lateness_ms
            else "n/a"
        )
        return "\n".join(
            [
                "Summary",
                f"  phases and talks announced: {self.phases} of {self.steps}, the rest summarised "
                f"(lateness {late})",
                f"  checked in: {self.checked_in}",
                f"  role cards: {self.dms} by DM, {self.fallbacks} by fallback in the group thread; "
                f"{self.acknowledged} acknowledged",
                f"  slides links stored: {self.submissions}",
                f"  deliverables: {self.deliverables} of {self.forms_due} role forms filed",
                *(f"  export: {', '.join(p.name for p in self.exports)}" for _ in self.exports[:1]),
                f"  requests to Discord: {self.requests}, rate-limited (429) answers: {self.rate_limited}",
                f"  wall time: {self.duration_s:.1f} s",
                *(f"  PROBLEM: {p}" for p in self.problems),
            ]
        )


class Transcript:
    """Prints every post and edit the bot makes, with the time since the start and where it went."""

    def __init__(self, sandbox: Sandbox, echo: Callable[[str], None], total: float) -> None:
        self.sandbox = sandbox
        self.echo = echo
        self.began = time.monotonic()
        self.total = total
        self.lines: list[str] = []
        self.names: dict[int, str] = {}

    def where(self, channel: Channel) -> str:
        """A short label for a channel, thread or DM."""
        if channel.type == 1:
            recipient = channel.recipient
            return f"DM {self.names.get(recipient.id, '') if recipient else ''}".strip()
        return f"#{channel.name}"

    def __call__(self, kind: str, message: Message, channel: Channel) -> None:
        """Record one post or edit."""
        elapsed = time.monotonic() - self.began
        title = message.embeds[0].get("title", "") if message.embeds else ""
        first = (message.content or "").strip().splitlines()
        text = title or (first[-1] if first else "")
        if kind == "edited" and not title.startswith("Over:"):
            return
        text = MENTION.sub(lambda m: "@" + self.names.get(int(m.group(1)), "someone"), text)
        line = f"[{elapsed:7.1f}s] {self.where(channel):<34} {text}"
        self.lines.append(line)  # the file keeps whole lines; the screen gets one line each
        self.echo(line if len(line) <= 150 else line[:149] + "…")
        if title.startswith("Now:") and channel.type == 0:
            done = min(1.0, elapsed / self.total) if self.total else 1.0
            filled = round(done * BAR)
            self.echo(f"           [{'#' * filled}{'.' * (BAR - filled)}] {done:4.0%}")


class Rehearsal:
    """One dry run: the sandbox, the class, the bot and the script that plays the people."""

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
        self.sandbox = Sandbox(limits=SandboxLimits())
        self.report = Report()
        self.bot: ConductorBot | None = None

    # --- the class ------------------------------------------------------------------------------

    def populate(self) -> tuple[Guild, Channel, Member, list[Member]]:
        """The server: roles, the class channel, the instructor, the teachers and the students."""
        course = self.course
        guild = self.sandbox.add_guild(course.name[:100])
        instructor_role = guild.add_role(
            course.instructor_roles[0] if course.instructor_roles else "Instructor"
        )
        student_role = guild.add_role(course.student_role)
        channel = guild.add_text_channel(course.class_channel)
        instructor = guild.add_member("Instructor", username="instructor", roles=[instructor_role])
        for teacher in course.teachers:
            guild.add_member(f"Teacher {teacher.name}", username=teacher.discord, roles=[instructor_role])
        students = [
            guild.add_member(
                f"Student {i:02d}",
                username=f"student{i:02d}",
                roles=[student_role],
                dms_open=i not in self.behaviour.dms_closed,
            )
            for i in range(1, self.options.students + 1)
        ]
        return guild, channel, instructor, students

    async def run(self) -> Report:
        """Run the afternoon and return what was measured."""
        sb = self.sandbox
        await sb.start()
        workdir = self.options.out or Path(tempfile.mkdtemp(prefix="conductor-rehearsal-"))
        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / "rehearsal.db"
        db.unlink(missing_ok=True)
        settings = Settings(
            _env_file=None,
            discord_token=sb.token,
            database_url=f"sqlite+aiosqlite:///{db}",
            discord_api_base=sb.api_base,
            discord_gateway_url=sb.gateway_url,
            conductor_config=self.options.config,
        )
        guild, channel, instructor, students = self.populate()
        total = self.fast_plan.total.total_seconds()
        transcript = Transcript(sb, self.options.echo, total)
        transcript.names = {m.user.id: m.name for m in [instructor, *students]}
        sb.message_listeners.append(transcript)
        self.options.echo(
            f"Rehearsing '{self.plan.name}' ({duration(self.plan.total)} of class time) at {self.speed:g}x: "
            f"about {duration(self.fast_plan.total)}, {len(students)} students, seed {self.options.seed}"
        )
        bot = build_bot(settings, self.course, guild_ready_timeout=0.05)
        self.bot = bot
        runner = asyncio.create_task(bot.start(sb.token))
        began = time.monotonic()
        try:
            await sb.wait_ready(timeout=30)
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            script = Script(self, guild, channel, instructor, students)
            await script.play(timeout=total * 3 + 60)
        finally:
            self.report.duration_s = time.monotonic() - began
            await bot.close()
            with contextlib.suppress(Exception):
                await runner
            await sb.close()
        self.report.transcript = transcript.lines
        self.report.requests = sb.stats.requests
        self.report.rate_limited = sb.stats.rate_limited
        session_id = await self._measure(db, channel)
        if self.options.out is not None and session_id is not None:
            self.report.exports = await self._export(db, session_id, workdir)
        self.options.echo(self.report.summary())
        if self.options.out is not None:
            (workdir / "transcript.txt").write_text("\n".join(transcript.lines) + "\n")
            (workdir / "summary.txt").write_text(self.report.summary() + "\n")
        return self.report

    async def _export(self, db: Path, session_id: int, out: Path) -> list[Path]:
        """Write the session's export files (the CSV and the report), as `python -m bot export` does."""
        from bot.compose import offline_application

        async with offline_application(self.course, f"sqlite+aiosqlite:///{db}") as app:
            files = await app.submissions.export_files(session_id)
        written = []
        for name, data in files.items():
            (out / name).write_bytes(data)
            written.append(out / name)
        return written

    async def _measure(self, db: Path, channel: Channel) -> int | None:
        """Read the stored outcome: lateness of each announcement, deliveries, submissions; the session id."""
        from bot.storage.db import Database

        database = Database(f"sqlite+aiosqlite:///{db}")
        try:
            async with database.session() as s:
                row = await s.scalar(select(SessionRow).order_by(SessionRow.id.desc()).limit(1))
                acks = list(await s.scalars(select(Acknowledgement)))
                subs = list(await s.scalars(select(Submission).where(Submission.current)))
                seats = list(
                    await s.scalars(select(AssignmentRow).where(AssignmentRow.status == "confirmed"))
                )
                self.report.checked_in = len(list(await s.scalars(select(CheckIn))))
                posts = list(await s.scalars(select(PostRow).where(PostRow.key.startswith("start:"))))
        finally:
            await database.close()
        self.report.dms = sum(a.delivery == "dm" for a in acks)
        self.report.fallbacks = sum(a.delivery == "fallback" for a in acks)
        self.report.acknowledged = sum(a.acknowledged_at is not None for a in acks)
        self.report.submissions = sum(sub.kind == SLIDES for sub in subs)
        self.report.deliverables = sum(sub.kind == DELIVERABLE for sub in subs)
        self.report.forms_due = sum(bool(self.course.role(seat.role_key).fields) for seat in seats)
        if row is None:
            return None
        self.report.steps = len(row.entries)
        starts = [row.started_at]
        for ms in row.durations_ms[:-1]:
            starts.append(starts[-1] + timedelta(milliseconds=ms))
        first_post: dict[int, datetime] = {}
        for post in posts:
            if post.message_id is None or post.message_id not in self.sandbox.world.messages:
                continue
            index = int(post.key.split(":")[1])
            received = datetime.fromisoformat(self.sandbox.message(post.message_id).timestamp).astimezone(UTC)
            first_post[index] = min(received, first_post.get(index, received))
        # A step that started while another was still being posted (rate limits) may have been folded
        # into the next post's "already over" line: it counts as summarised, not as announced.
        self.report.lateness_ms = [
            (at - starts[i]).total_seconds() * 1000 for i, at in sorted(first_post.items())
        ]
        self.report.phases = len(first_post)
        return row.id


class Script:
    """The people: an instructor who starts, assigns and steers, and students who answer."""

    def __init__(
        self, rehearsal: Rehearsal, guild: Guild, channel: Channel, instructor: Member, students: list[Member]
    ) -> None:
        self.r = rehearsal
        self.sb = rehearsal.sandbox
        self.guild = guild
        self.channel = channel
        self.instructor = instructor
        self.students = students
        self.tasks: list[asyncio.Task[None]] = []
        self.assigned = asyncio.Event()  # the assignment is confirmed: seats exist, forms can be filed

    def has(self, command: str) -> bool:
        """Whether the bot offers a slash command (top-level name)."""
        return any(c["name"] == command for c in self.sb.commands())

    async def say(
        self, who: Member, command: str, channel: Channel | None = None, **options: object
    ) -> InteractionResult:
        """Someone types a slash command; deferred answers are awaited."""
        result = await self.sb.run_command(who, command, channel=channel or self.channel, options=options)
        if result.deferred:
            await result.wait_followup(timeout=15)
        return result

    async def phase_started(self, name: str, timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the bot announces a phase (in the class channel or any thread)."""

        def seen() -> bool:
            channels = [self.channel, *self.guild.threads]
            return any(
                (m.embeds and m.embeds[0].get("title", "").endswith(name)) or name in str(m.edits[:1])
                for ch in channels
                for m in ch.messages
            )

        await self.sb.wait_for(seen, timeout=timeout, what=f"the phase '{name}' to start")

    def ended(self) -> bool:
        """The bot has said the session is over."""
        return any("end of the session" in (m.content or "") for m in self.channel.messages)

    async def play(self, timeout: float) -> None:  # noqa: ASYNC109
        """Run the whole afternoon."""
        plan = self.r.fast_plan
        start = await self.say(self.instructor, "session start", plan=plan.name)
        if "Started" not in start.text:
            raise RuntimeError(f"the session did not start: {start.text}")
        if self.has("session"):
            projector = await self.say(self.instructor, "session projector")
            link = projector.text.split()[-1] if "/p/" in projector.text else None
            if link:
                self.r.options.echo(f"Projector page (open it in a browser while the rehearsal runs): {link}")
        assign_phase = next((p for p in plan.phases if "assign" in p.key or "assign" in p.name.lower()), None)
        self.tasks.append(
            asyncio.create_task(self.assign(assign_phase.name if assign_phase else None, timeout))
        )
        self.tasks.append(asyncio.create_task(self.steer(timeout)))
        if self.has("deliverable"):
            self.tasks.append(asyncio.create_task(self.forms(self.form_phase(), timeout)))
        collect = next((p for p in plan.phases if p.collect_slides), None)
        if collect is not None and self.has("submit"):
            self.tasks.append(asyncio.create_task(self.slides(collect.name, timeout)))
        try:
            await self.sb.wait_for(self.ended, timeout=timeout, what="the end of the session")
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
        if not self.has("assign"):
            return
        if phase_name:
            await self.phase_started(phase_name, timeout)
        if self.has("checkin"):
            await self.check_in()
        preview = await self.say(self.instructor, "assign")
        confirm = next(
            (
                (m, cid)
                for m in preview.messages
                for label, cid in m.buttons
                if cid and "confirm" in cid.lower()
            ),
            None,
        )
        if confirm is None:  # the bot refused this class: that is the rehearsal's finding
            self.r.report.problems.append(f"/assign was refused: {preview.text.strip()}")
            self.r.options.echo(f"!! /assign was refused: {preview.text.strip()}")
            return
        confirmed = await self.sb.click(self.instructor, confirm[0], confirm[1])

        async def summary() -> None:  # the instructor waits for "Confirmed for ..." once every card is out
            await self.sb.wait_for(
                lambda: any("Confirmed for" in m.text for m in confirmed.followups),
                timeout=120,
                what="the confirmation summary",
            )
            self.assigned.set()

        await asyncio.gather(summary(), *(self.acknowledge(i, s) for i, s in enumerate(self.students, 1)))

        def reached(student: Member) -> bool:  # a card by DM, or the fallback mention in the group thread
            if any(cid and ":ack:" in cid for m in self.sb.dms(student) for _, cid in m.buttons):
                return True
            tag = f"<@{student.user.id}>"
            return any(
                tag in (m.content or "") and any(label == "Show my role" for label, _ in m.buttons)
                for thread in self.guild.threads
                for m in thread.messages
            )

        def everyone_reached() -> bool:
            return all(reached(s) for s in self.students)

        await self.sb.wait_for(everyone_reached, timeout=120, what="every student's role card or fallback")

    async def check_in(self) -> None:
        """The instructor posts the check-in; every student present presses "I'm here"."""
        await self.say(self.instructor, "checkin")

        def button() -> tuple[Message, str] | None:
            for m in self.channel.messages:
                for _, cid in m.buttons:
                    if cid and cid.startswith("conductor:checkin:"):
                        return m, cid
            return None

        message, custom_id = await self.sb.wait_for(button, timeout=30, what="the check-in message")
        await asyncio.gather(*(self.press(s, message, custom_id) for s in self.students))

    async def press(self, who: Member, message: Message, custom_id: str) -> InteractionResult:
        """Someone presses a button and waits for its answer (a busy bot defers, then answers)."""
        result = await self.sb.click(who, message, custom_id)
        if result.deferred:
            await result.wait_followup(timeout=15)
        return result

    async def acknowledge(self, number: int, student: Member) -> None:
        """A student presses "Got it" on their card (late ones after a while, some never)."""
        behaviour = self.r.behaviour
        if number in behaviour.never_ack or number in behaviour.dms_closed:
            return

        def card() -> tuple[Message, str] | None:
            for m in self.sb.dms(student):
                for _, cid in m.buttons:
                    if cid and ":ack:" in cid:
                        return m, cid
            return None

        found = await self.sb.wait_for(card, timeout=60, what=f"{student.name}'s role card")
        if number in behaviour.late_ack:
            await asyncio.sleep(self.r.fast_plan.phases[0].duration.total_seconds())  # a late reader
        await self.press(student, found[0], found[1])

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
                await self.say(self.instructor, "session pause")
                await asyncio.sleep(phase.duration.total_seconds() / 5)  # the class takes a breath
                await self.say(self.instructor, "session resume")
            else:
                await self.say(self.instructor, "session extend", minutes=5 / self.r.speed)

    def form_phase(self) -> str | None:
        """The phase in which students work on their role: one named for it, else the one after /assign."""
        phases = list(self.r.fast_plan.phases)
        first = next((i for i, p in enumerate(phases) if "assign" in p.key or "assign" in p.name.lower()), -1)
        after = [p for p in phases[first + 1 :] if p.kind == "activity"]
        chosen = next((p for p in after if "role" in p.key or "role" in p.name.lower()), None)
        if chosen is None and after:
            chosen = after[0]
        return chosen.name if chosen is not None else None

    async def forms(self, phase_name: str | None, timeout: float) -> None:  # noqa: ASYNC109
        """Students whose role has a form file it during the role phase (a few late, one or two never)."""
        await asyncio.wait_for(self.assigned.wait(), timeout)
        if phase_name:
            await self.phase_started(phase_name, timeout)
        bot = self.r.bot
        assert bot is not None
        async with bot.db.session() as s:
            seats = list(await s.scalars(select(AssignmentRow).where(AssignmentRow.status == "confirmed")))
            session = await s.scalar(select(SessionRow).order_by(SessionRow.id.desc()).limit(1))
        roles = {seat.user_id: self.r.course.role(seat.role_key) for seat in seats}
        # Late students file a phase's length later, but while the session still runs (when the card
        # fan-out takes most of a compressed afternoon, "a phase later" could fall after its end).
        left = (timeline_of(session).ends_at - bot.clock.now()).total_seconds() if session else 0.0
        holders = {
            n for n, st in enumerate(self.students, 1) if st.user.id in roles and roles[st.user.id].fields
        }
        late, never = form_timing(self.r.behaviour, holders)
        phase = next((p for p in self.r.fast_plan.phases if p.name == phase_name), self.r.fast_plan.phases[0])
        await asyncio.gather(
            *(
                self.file_form(
                    n,
                    self.students[n - 1],
                    roles[self.students[n - 1].user.id],
                    min(phase.duration.total_seconds(), max(0.0, left / 2)) if n in late else 0,
                )
                for n in sorted(holders - never)
            )
        )

    async def file_form(self, number: int, student: Member, role: Role, delay: float) -> None:
        """One student opens their form with `/deliverable`, fills in every field and sends it."""
        if delay:
            await asyncio.sleep(delay)  # a late student files after the phase
        opened = await self.say(student, "deliverable")
        if opened.modal is None:
            self.r.report.problems.append(
                f"{student.name}'s /deliverable opened no form: {opened.text.strip()}"
            )
            return
        values: dict[str, object] = {}
        for f in role.fields:
            answer = sample_answer(f, self.r.options.seed * 1000 + number)
            values[f.key] = [answer] if f.kind == "choice" else answer
        sent = await self.sb.submit_modal(student, opened, values)
        await sent.wait_followup(timeout=15)
        if "form for" not in sent.text:
            self.r.report.problems.append(f"{student.name}'s form was refused: {sent.text.strip()}")

    async def slides(self, phase_name: str, timeout: float) -> None:  # noqa: ASYNC109
        """Each paper group submits its slides link at the collecting phase (one late, one never)."""
        await self.phase_started(phase_name, timeout)
        b = self.r.behaviour
        groups = [p.key for p in self.r.course.papers]
        # One member of each group: the first student the bot placed in that group's thread.
        for index, paper in enumerate(groups):
            if index == b.silent_group:
                continue
            member = self.member_of(paper)
            if member is None:
                continue
            if index == b.late_group:
                await asyncio.sleep(self.r.fast_plan.phases[0].duration.total_seconds())
            await self.say(member, "submit slides", url=f"https://slides.example.org/{paper}")

    def member_of(self, paper: str) -> Member | None:
        """A student in a paper's group thread."""
        title = self.r.course.paper(paper).title
        thread = next((t for t in self.guild.threads if t.name.startswith(title) and "group" in t.name), None)
        if thread is None:
            return None
        ids = set(thread.member_ids)
        return next((s for s in self.students if s.user.id in ids), None)


def main_rehearse(options: Options) -> int:
    """Entry point for the CLI: run the rehearsal and return an exit code."""
    logging.getLogger("discord").setLevel(logging.ERROR)
    report = asyncio.run(Rehearsal(options).run())
    return 0 if report.phases and not report.problems else 1
