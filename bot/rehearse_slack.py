"""`python -m bot rehearse --platform slack`: the whole afternoon on the local Slack sandbox, fast.

The real Slack front end (`SlackConductor`, started and stopped as `python -m bot run --platform slack`
does) talks to `slack_sandbox`; the scripted people of `bot.rehearsal_script` act through `SlackStage`
(slash commands with their text, buttons, modals), and the same summary closes the run. The rehearsal's
workspace is made up: the class channel is found by name and its admins (the instructor and the
teachers) are the instructors, whatever `[slack]` names for a real workspace.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.slack.command_list import Name, slash
from bot.adapters.slack.frontend import SlackConductor
from bot.adapters.slack.ids import to_int, to_slack
from bot.adapters.slack.transport import int_to_ts
from bot.core.plan import Course, Field
from bot.core.platform import Platform, SlackOptions
from bot.rehearsal_report import Options, Transcript
from bot.rehearsal_script import Rehearsing
from bot.settings import Settings
from bot.storage.models import PostRow
from slack_sandbox import Kind, Message, ScriptedUser, SlackSandbox, View
from slack_sandbox.reader import shown
from slack_sandbox.workspace import Channel, Sight, SightKind, Workspace

CHECKIN = "conductor:checkin:here"
ACK = "conductor:role-card:ack"
SHOW_ROLE = "conductor:show-role:show"
CONFIRM = "conductor:assign-preview:confirm"
HEADLINE = re.compile(r"^(Now|Over): (.+)$")
ARCHIVE_WAIT = 60.0  # seconds the end of the session may take to archive the rooms
LINK = re.compile(r"https?://[^\s`<>|]+/p/[A-Za-z0-9_-]+")


def sandbox_settings(sb: SlackSandbox, database_url: str, config: Path) -> Settings:
    """The app's settings against the sandbox: its tokens and address, a database, no `.env`."""
    return Settings(
        _env_file=None,
        slack_bot_token=sb.bot_token,
        slack_app_token=sb.app_token,
        slack_api_base=sb.api_url,
        database_url=database_url,
        conductor_config=config,
    )


def sandbox_env(sb: SlackSandbox, settings: Settings) -> dict[str, str]:
    """The environment of an app process (`python -m bot run --platform slack`) against the sandbox."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **keep,
        "SLACK_BOT_TOKEN": sb.bot_token,
        "SLACK_APP_TOKEN": sb.app_token,
        "SLACK_API_BASE": sb.api_url,
        "DATABASE_URL": str(settings.database_url),
        "CONDUCTOR_CONFIG": str(settings.conductor_config),
    }


def on_slack(course: Course) -> Course:
    """The course as the rehearsal's made-up workspace runs it: the class channel by name, admins teach."""
    channel = course.class_channel.removeprefix("#")
    options = course.slack or SlackOptions(class_channel=channel)
    if not re.fullmatch(r"[a-z0-9_-]{1,80}", options.class_channel.removeprefix("#")):
        options = replace(options, class_channel=channel)  # a real channel's id names nothing here
    return replace(course, platform=Platform.SLACK, slack=replace(options, instructors=()))


def headlines(ws: Workspace, message: Message, *, first: bool = False) -> list[tuple[str, str]]:
    """A post's phase headlines as members read them, ("Now" or "Over", the phase); `first`: as first posted."""
    if first and message.edits:
        message = replace(message, text=message.edits[0]["text"], blocks=message.edits[0]["blocks"], edits=[])
    lines = (line.strip() for line in shown(ws, message).text.splitlines())
    return [(m.group(1), m.group(2)) for line in lines if (m := HEADLINE.match(line))]


def announced(ws: Workspace, message: Message) -> str | None:
    """The phase a post announced when it was first posted ("Now: ..."), if any."""
    return next((name for kind, name in headlines(ws, message, first=True) if kind == "Now"), None)


def actions(message: Message) -> set[str]:
    """The action ids of a message's buttons and menus."""
    out: set[str] = set()
    for block in message.blocks or []:
        for element in [*(block.get("elements") or []), block.get("accessory")]:
            if isinstance(element, dict) and "action_id" in element:
                out.add(str(element["action_id"]))
    return out


def picked(element: dict[str, Any], answer: str) -> str:
    """What a member enters for `answer`: the value of the menu option showing it, else the text itself."""
    for option in element.get("options") or []:
        if (option.get("text") or {}).get("text") == answer:
            return str(option.get("value"))
    return answer


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The words of a view's blocks (section and context texts)."""
    out = []
    for block in blocks:
        for part in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    return out


class SlackRehearsal(Rehearsing):
    """A dry run on the Slack sandbox.

    Slack has no switch with which a member refuses an app's DMs (nor does the sandbox model one), so
    the class's "closed DMs" are left out here: every card goes by DM.
    """

    platform = "Slack"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self.course = on_slack(self.course)
        self.behaviour = replace(self.behaviour, dms_closed=frozenset())
        self.sandbox = SlackSandbox(team_name=self.course.name[:60])
        self.conductor: SlackConductor | None = None
        self.stage: SlackStage | None = None

    def populate(self) -> tuple[Channel, ScriptedUser, list[ScriptedUser]]:
        """The workspace: the instructor and teachers (admins), the students, all in the class channel."""
        sb = self.sandbox
        instructor = sb.add_user("Instructor", name="instructor", is_admin=True)
        teachers = [
            sb.add_user(f"Teacher {t.name}", name=t.discord, email=f"{t.discord}@example.edu", is_admin=True)
            for t in self.course.teachers
        ]
        students = [
            sb.add_user(f"Student {i:02d}", name=f"student{i:02d}", display_name=f"Student {i:02d}")
            for i in range(1, self.options.students + 1)
        ]
        assert self.course.slack is not None
        channel = sb.add_channel(self.course.slack.class_channel, [instructor, *teachers, *students])
        return channel, instructor, students

    async def open(self, database_url: str) -> SlackStage:
        """Start the sandbox, seat the class, start the Slack app (it connects over Socket Mode)."""
        sb = self.sandbox
        await sb.start()
        channel, instructor, students = self.populate()
        settings = sandbox_settings(sb, database_url, self.options.config)
        self.stage = stage = SlackStage(sb, self.course, channel, instructor, students, self.transcript)
        sb.workspace.listeners.append(stage.seen)
        self.conductor = self.running = SlackConductor(settings, self.course)
        await self.conductor.start()
        return stage

    def rooms(self) -> list[Channel]:
        """The private channels the app opened as the session's rooms."""
        bot = self.sandbox.bot.id
        return [
            c for c in self.sandbox.workspace.channels.values() if c.kind is Kind.PRIVATE and c.creator == bot
        ]

    async def close(self) -> None:
        """Once the session's end has archived its rooms, stop the app as SIGTERM would, then the sandbox.

        Archiving is Tier 2 on Slack (about 20 a minute), so a class's two dozen rooms take a few seconds
        after the last post; stopping sooner would cut that short, as a real stop then would.
        """
        try:
            if self.stage is not None and self.stage.over:
                await self.sandbox.wait_for(
                    lambda: all(room.is_archived for room in self.rooms()), ARCHIVE_WAIT, "the rooms archived"
                )
        except TimeoutError:
            left = sum(not room.is_archived for room in self.rooms())
            self.report.problems.append(f"{left} room(s) not archived {ARCHIVE_WAIT:g} s after the end")
        finally:
            if self.conductor is not None:
                await self.conductor.close()
            await self.sandbox.close()

    def received(self, post: PostRow) -> datetime | None:
        """When the sandbox stored a message the outbox sent: its `ts`, if the message is there."""
        if post.message_id is None:
            return None
        if self.sandbox.workspace.message(to_slack(post.channel_id), int_to_ts(post.message_id)) is None:
            return None
        return datetime.fromtimestamp(post.message_id / 1_000_000, UTC)

    def count_traffic(self) -> None:
        """Web API calls and response_url answers; the 429s by method."""
        sb = self.sandbox
        calls, answers = len(sb.requests), len(sb.responses.posts)
        self.report.requests = calls + answers
        self.report.rate_limited = sum(call.status == 429 for call in sb.requests)
        limited = ", ".join(f"{method} {n}" for method, n in Counter(sb.rate_limited).most_common())
        self.report.traffic = f"{calls} Web API calls, {answers} response_url answers" + (
            f"; 429s: {limited}" if limited else ""
        )


class SlackStage:
    """The class on the Slack sandbox: slash commands with their text, buttons, modals.

    What the app posts is read once, as each message appears or changes (`seen`): the transcript, the
    phases announced, the end.
    """

    platform = "Slack"

    def __init__(
        self,
        sb: SlackSandbox,
        course: Course,
        channel: Channel,
        instructor: ScriptedUser,
        students: list[ScriptedUser],
        transcript: Transcript,
    ) -> None:
        self.sb = sb
        self.channel = channel
        self.instructor = instructor
        self.students = students
        self.transcript = transcript
        self.prefix = course.slack.command_prefix if course.slack else ""
        self.announced: set[str] = set()
        self.over = False

    # --- what the app posts ----------------------------------------------------------------------

    def seen(self, sight: Sight) -> None:
        """One visible change: a post or edit of the app's is read into the transcript and the phases."""
        message = sight.message
        if sight.kind not in (SightKind.POSTED, SightKind.EDITED) or message is None:
            return
        if message.user != self.sb.bot.id or message.ephemeral_to is not None:
            return
        lines = shown(self.sb.workspace, message).text.splitlines()
        heads = headlines(self.sb.workspace, message)
        self.announced.update(name for _, name in heads)
        in_class = message.channel == self.channel.id
        ending = [line for line in lines if "end of the session" in line]
        self.over = self.over or (in_class and bool(ending))
        if sight.kind is SightKind.EDITED and not any(kind == "Over" for kind, _ in heads):
            return  # a refreshed "time left" or a card's update: not a line of the transcript
        text = ": ".join(heads[0]) if heads else (ending or lines or [""])[0]
        self.transcript.add(self.where(message.channel), text, class_channel=in_class)

    def where(self, channel_id: str) -> str:
        """A short label for a channel or a DM."""
        channel = self.sb.workspace.channels[channel_id]
        if channel.kind is Kind.IM:
            person = self.sb.workspace.user(channel.im_user or "")
            return f"DM {person.shown_name if person else ''}".strip()
        return f"#{channel.name}"

    def phase_seen(self, name: str) -> bool:
        """A post headed "Now: <name>" (or "Over: <name>") was seen anywhere."""
        return name in self.announced

    def ended(self) -> bool:
        """The app has said the session is over, in the class channel."""
        return self.over

    # --- the people --------------------------------------------------------------------------------

    def student(self, number: int) -> ScriptedUser:
        """Student `number` (from 1)."""
        return self.students[number - 1]

    def name(self, number: int) -> str:
        """A student's display name."""
        return self.student(number).name

    def stored_id(self, number: int) -> int:
        """A student's Slack id as the app stores it."""
        return to_int(self.student(number).id)

    def offers(self, command: str) -> bool:
        """Whether the app has the slash command (it answers those not on Slack yet by saying so)."""
        return command in {name.value for name in Name}

    async def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:  # noqa: ASYNC109
        """Wait on the sandbox."""
        return await self.sb.wait_for(predicate, timeout, what)

    async def say(self, who: ScriptedUser, name: Name, text: str = "", timeout: float = 15.0) -> str:  # noqa: ASYNC109
        """Someone types a slash command in the class channel; what they were shown."""
        return (await who.command(slash(name, self.prefix), text, self.channel, timeout=timeout)).text

    async def start(self, plan: str) -> str:
        """`/session start <plan>`."""
        return await self.say(self.instructor, Name.SESSION, f"start {plan}")

    async def projector(self) -> str | None:
        """`/session projector`: the link it answers with."""
        found = LINK.search(await self.say(self.instructor, Name.SESSION, "projector"))
        return found.group(0) if found else None

    async def steer(self, verb: str, minutes: float | None = None) -> None:
        """`/session pause`, `/session resume`, `/session extend <minutes>`."""
        text = f"{verb} {minutes:.4g}" if minutes is not None else verb
        await self.say(self.instructor, Name.SESSION, text)

    def checkin_post(self) -> Message | None:
        """The check-in message in the class channel."""
        return next((m for m in self.sb.posts(self.channel) if CHECKIN in actions(m)), None)

    async def post_checkin(self) -> None:
        """`/checkin`, then its message in the class channel."""
        await self.say(self.instructor, Name.CHECKIN)
        await self.sb.wait_for(self.checkin_post, 30, "the check-in message")

    async def check_in(self, number: int) -> None:
        """Press "I'm here"."""
        post = self.checkin_post()
        assert post is not None
        await self.student(number).click(post, CHECKIN, timeout=15)

    async def assign(self) -> str | None:
        """`/assign`, then Confirm on the preview."""
        answer = await self.instructor.command(slash(Name.ASSIGN, self.prefix), "", self.channel, timeout=30)
        preview = next((r for r in reversed(answer.replies) if CONFIRM in actions(r.message)), None)
        if preview is None:
            return answer.text.strip()
        await self.instructor.click(preview, CONFIRM, timeout=30)
        return None

    async def confirmed(self, timeout: float) -> None:  # noqa: ASYNC109
        """The instructor's "Confirmed for ..." answer."""
        await self.sb.wait_for(
            lambda: any("Confirmed for" in m.text for m in self.instructor.ephemerals()),
            timeout,
            "the confirmation summary",
        )

    def card_post(self, number: int) -> Message | None:
        """A student's role card (with "Got it") in their DM."""
        dm = self.student(number).dm
        return next((m for m in self.sb.posts(dm) if ACK in actions(m)), None) if dm is not None else None

    def card(self, number: int) -> bool:
        """The card is in their DM."""
        return self.card_post(number) is not None

    async def acknowledge(self, number: int) -> None:
        """Press "Got it"."""
        post = self.card_post(number)
        assert post is not None
        await self.student(number).click(post, ACK, timeout=15)

    def reached(self, number: int) -> bool:
        """A card by DM, or the fallback mention (with "Show my role") in a private room."""
        if self.card(number):
            return True
        tag = f"<@{self.student(number).id}>"
        return any(
            SHOW_ROLE in actions(m) and tag in m.text + json.dumps(m.blocks)
            for room in self.student(number).private_channels()
            for m in self.sb.posts(room)
        )

    async def open_form(self, number: int) -> object | str:
        """`/deliverable`: the modal it opens, or the answer text."""
        who = self.student(number)
        opened = await who.command(slash(Name.DELIVERABLE, self.prefix), "", self.channel, timeout=15)
        return opened.modal if opened.modal is not None else opened.text

    async def file_form(
        self, number: int, form: object, fields: Sequence[Field], answers: Mapping[str, str]
    ) -> str:
        """Fill in each field's input (its block named by the field's key) and submit; what was shown."""
        assert isinstance(form, View)
        values: dict[str, dict[str, Any]] = {}
        for block in form.blocks:
            element = block.get("element")
            key = str(block.get("block_id"))
            if block.get("type") == "input" and isinstance(element, dict) and key in answers:
                values[key] = {str(element.get("action_id")): picked(element, answers[key])}
        missing = [f.key for f in fields if f.key not in values]
        if missing:
            return f"the form has no input for {', '.join(missing)}"
        sent = await self.student(number).submit(values, form, timeout=15)
        if sent.errors:
            return "; ".join(f"{k}: {v}" for k, v in sent.errors.items())

        def answer() -> str:  # the confirmation comes in the form's own window, or as a message
            return " ".join([sent.text, *(texts(sent.showing.blocks) if sent.showing else [])])

        try:
            await self.sb.wait_for(
                lambda: "form for" in answer(), 15, f"{self.name(number)}'s form to be saved"
            )
        except TimeoutError:
            pass  # what was shown instead is the answer
        return answer()

    async def submit_slides(self, number: int, url: str) -> str:
        """`/submit <url>`."""
        return await self.say(self.student(number), Name.SUBMIT, url)
