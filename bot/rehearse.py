"""`python -m bot rehearse`: the whole afternoon against the local Discord sandbox, fast, with a simulated class.

The real bot (same wiring as `python -m bot run`) talks to the sandbox; the scripted people of
`bot.rehearsal_script` act through `DiscordStage` (slash commands, buttons, modals). Everything the bot
posts is printed as a transcript, and a summary closes the run. No token and no network are needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.wiring import build_bot
from bot.core.plan import Field
from bot.rehearsal_report import Options, Report, Transcript
from bot.rehearsal_script import Rehearsing, main_rehearse
from bot.settings import Settings
from bot.storage.models import PostRow
from discord_sandbox import Channel, Guild, InteractionResult, Member, Message, Sandbox, SandboxLimits

__all__ = ["DiscordStage", "Options", "Rehearsal", "Report", "main_rehearse"]
MENTION = re.compile(r"<@!?(\d+)>")


class Rehearsal(Rehearsing):
    """A dry run on the Discord sandbox."""

    platform = "Discord"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self.sandbox = Sandbox(limits=SandboxLimits())
        self.bot: ConductorBot | None = None
        self._runner: asyncio.Task[None] | None = None

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

    async def open(self, database_url: str) -> DiscordStage:
        """Start the sandbox, seat the class, start the bot and wait until it is ready."""
        sb = self.sandbox
        await sb.start()
        settings = Settings(
            _env_file=None,
            discord_token=sb.token,
            database_url=database_url,
            discord_api_base=sb.api_base,
            discord_gateway_url=sb.gateway_url,
            conductor_config=self.options.config,
        )
        guild, channel, instructor, students = self.populate()
        names = {m.user.id: m.name for m in [instructor, *students]}
        sb.message_listeners.append(DiscordTranscript(self.transcript, names))
        self.bot = self.running = build_bot(settings, self.course, guild_ready_timeout=0.05)
        self._runner = asyncio.create_task(self.bot.start(sb.token))
        await sb.wait_ready(timeout=30)
        await asyncio.wait_for(self.bot.wait_until_ready(), 30)
        return DiscordStage(sb, guild, channel, instructor, students)

    async def close(self) -> None:
        """Close the bot, then the sandbox."""
        if self.bot is not None:
            await self.bot.close()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner
        await self.sandbox.close()

    def received(self, post: PostRow) -> datetime | None:
        """When the sandbox stored a message the outbox sent."""
        if post.message_id is None or post.message_id not in self.sandbox.world.messages:
            return None
        return datetime.fromisoformat(self.sandbox.message(post.message_id).timestamp).astimezone(UTC)

    def count_traffic(self) -> None:
        """Every REST request the bot made, and the 429s among them."""
        self.report.requests = self.sandbox.stats.requests
        self.report.rate_limited = self.sandbox.stats.rate_limited


class DiscordTranscript:
    """Every post and edit the bot makes on Discord, as transcript lines."""

    def __init__(self, transcript: Transcript, names: Mapping[int, str]) -> None:
        self.transcript = transcript
        self.names = names

    def where(self, channel: Channel) -> str:
        """A short label for a channel, thread or DM."""
        if channel.type == 1:
            recipient = channel.recipient
            return f"DM {self.names.get(recipient.id, '') if recipient else ''}".strip()
        return f"#{channel.name}"

    def __call__(self, kind: str, message: Message, channel: Channel) -> None:
        """Record one post or edit (an edit only when it marks a phase over)."""
        title = message.embeds[0].get("title", "") if message.embeds else ""
        first = (message.content or "").strip().splitlines()
        text = title or (first[-1] if first else "")
        if kind == "edited" and not title.startswith("Over:"):
            return
        text = MENTION.sub(lambda m: "@" + self.names.get(int(m.group(1)), "someone"), text)
        self.transcript.add(self.where(channel), text, class_channel=channel.type == 0)


class DiscordStage:
    """The class on the Discord sandbox: slash commands, buttons and modals."""

    platform = "Discord"

    def __init__(
        self, sb: Sandbox, guild: Guild, channel: Channel, instructor: Member, students: list[Member]
    ) -> None:
        self.sb = sb
        self.guild = guild
        self.channel = channel
        self.instructor = instructor
        self.students = students
        self.confirm: InteractionResult | None = None

    def student(self, number: int) -> Member:
        """Student `number` (from 1)."""
        return self.students[number - 1]

    def name(self, number: int) -> str:
        """A student's display name."""
        return self.student(number).name

    def stored_id(self, number: int) -> int:
        """A student's Discord id."""
        return self.student(number).user.id

    def offers(self, command: str) -> bool:
        """Whether the bot registered a slash command (top-level name)."""
        return any(c["name"] == command for c in self.sb.commands())

    async def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:  # noqa: ASYNC109
        """Wait on the sandbox."""
        return await self.sb.wait_for(predicate, timeout=timeout, what=what)

    async def say(self, who: Member, command: str, **options: object) -> InteractionResult:
        """Someone types a slash command in the class channel; deferred answers are awaited."""
        result = await self.sb.run_command(who, command, channel=self.channel, options=options)
        if result.deferred:
            await result.wait_followup(timeout=15)
        return result

    async def press(self, who: Member, message: Message, custom_id: str) -> InteractionResult:
        """Someone presses a button and waits for its answer (a busy bot defers, then answers)."""
        result = await self.sb.click(who, message, custom_id)
        if result.deferred:
            await result.wait_followup(timeout=15)
        return result

    async def start(self, plan: str) -> str:
        """`/session start plan:...`."""
        return (await self.say(self.instructor, "session start", plan=plan)).text

    async def projector(self) -> str | None:
        """`/session projector`: the link it answers with."""
        if not self.offers("session"):
            return None
        text = (await self.say(self.instructor, "session projector")).text
        return text.split()[-1] if "/p/" in text else None

    async def steer(self, verb: str, minutes: float | None = None) -> None:
        """`/session pause`, `/session resume`, `/session extend minutes:...`."""
        options = {"minutes": minutes} if minutes is not None else {}
        await self.say(self.instructor, f"session {verb}", **options)

    def phase_seen(self, name: str) -> bool:
        """A post titled with the phase's name (or its first version was), anywhere in the class."""
        return any(
            (m.embeds and m.embeds[0].get("title", "").endswith(name)) or name in str(m.edits[:1])
            for ch in [self.channel, *self.guild.threads]
            for m in ch.messages
        )

    def ended(self) -> bool:
        """The bot has said the session is over."""
        return any("end of the session" in (m.content or "") for m in self.channel.messages)

    def checkin_button(self) -> tuple[Message, str] | None:
        """The check-in message and its button's id."""
        for m in self.channel.messages:
            for _, cid in m.buttons:
                if cid and cid.startswith("conductor:checkin:"):
                    return m, cid
        return None

    async def post_checkin(self) -> None:
        """`/checkin`, then its message in the class channel."""
        await self.say(self.instructor, "checkin")
        await self.sb.wait_for(self.checkin_button, timeout=30, what="the check-in message")

    async def check_in(self, number: int) -> None:
        """Press "I'm here"."""
        found = self.checkin_button()
        assert found is not None
        await self.press(self.student(number), *found)

    async def assign(self) -> str | None:
        """`/assign`, then Confirm on the preview."""
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
        if confirm is None:
            return preview.text.strip()
        self.confirm = await self.sb.click(self.instructor, *confirm)
        return None

    async def confirmed(self, timeout: float) -> None:  # noqa: ASYNC109
        """The instructor's "Confirmed for ..." follow-up."""
        confirm = self.confirm
        assert confirm is not None
        await self.sb.wait_for(
            lambda: any("Confirmed for" in m.text for m in confirm.followups),
            timeout=timeout,
            what="the confirmation summary",
        )

    def card_button(self, number: int) -> tuple[Message, str] | None:
        """A student's role card in their DMs, and its "Got it" button's id."""
        for m in self.sb.dms(self.student(number)):
            for _, cid in m.buttons:
                if cid and ":ack:" in cid:
                    return m, cid
        return None

    def card(self, number: int) -> bool:
        """The card is in their DMs."""
        return self.card_button(number) is not None

    async def acknowledge(self, number: int) -> None:
        """Press "Got it"."""
        found = self.card_button(number)
        assert found is not None
        await self.press(self.student(number), *found)

    def reached(self, number: int) -> bool:
        """A card by DM, or the fallback mention (with "Show my role") in a thread."""
        if self.card(number):
            return True
        tag = f"<@{self.stored_id(number)}>"
        return any(
            tag in (m.content or "") and any(label == "Show my role" for label, _ in m.buttons)
            for thread in self.guild.threads
            for m in thread.messages
        )

    async def open_form(self, number: int) -> object | str:
        """`/deliverable`: the modal, or the answer text."""
        opened = await self.say(self.student(number), "deliverable")
        return opened if opened.modal is not None else opened.text

    async def file_form(
        self, number: int, form: object, fields: Sequence[Field], answers: Mapping[str, str]
    ) -> str:
        """Fill in the modal (a choice as a one-item list) and submit it."""
        assert isinstance(form, InteractionResult)
        values: dict[str, object] = {
            f.key: [answers[f.key]] if f.kind == "choice" else answers[f.key] for f in fields
        }
        sent = await self.sb.submit_modal(self.student(number), form, values)
        await sent.wait_followup(timeout=15)
        return sent.text

    async def submit_slides(self, number: int, url: str) -> str:
        """`/submit slides url:...`."""
        return (await self.say(self.student(number), "submit slides", url=url)).text
