"""`/checkin`, `/assign`, `/myrole` and `/roles`: attendance, preview and confirm, role cards, changes."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.answers.assignment import status_embed
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.cogs.deliverables import FormButton
from bot.adapters.discord.cogs.session import session_channel
from bot.adapters.discord.components import QUICK_ANSWER, ConductorItem, SessionButton
from bot.adapters.discord.needs import confirm_plan, plan_lines
from bot.adapters.discord.permissions import instructor_only, is_instructor
from bot.adapters.discord.render import as_answer
from bot.adapters.discord.tree import acknowledge, reply
from bot.core.errors import ConductorError
from bot.core.message import rich
from bot.core.plan import Course
from bot.messages import assignment as render
from bot.services.assignments import AlreadyConfirmed, ClassList, EditAction, Preview

log = logging.getLogger(__name__)
ACK_PREFIX = "conductor:ack:"  # the custom ids of a role card's buttons
SHOW_PREFIX = "conductor:card:"
_background: set[asyncio.Task[None]] = set()


def class_list(guild: discord.Guild, course: Course) -> ClassList:
    """The class as Discord knows it: members with the student role (no bots), and each paper's teachers."""
    wanted = course.student_role.casefold()
    students = {
        m.id: m.display_name
        for m in guild.members
        if not m.bot and any(r.name.casefold() == wanted for r in m.roles)
    }
    by_username = {m.name.casefold(): m.id for m in guild.members if not m.bot}
    teachers: dict[str, tuple[int, ...]] = {}
    for paper in course.papers:
        ids = []
        for name in paper.teachers:
            teacher = course.teacher(name)
            ref = (teacher.discord if teacher else name).casefold()
            uid = by_username.get(ref) or (int(ref) if ref.isdigit() and guild.get_member(int(ref)) else None)
            if uid is not None:
                ids.append(uid)
        teachers[paper.key] = tuple(ids)
    return ClassList(students, teachers)


def preview_view(preview: Preview) -> discord.ui.View:
    """Confirm, Reshuffle and Cancel under a preview (buttons that still work after a restart)."""
    view = discord.ui.View(timeout=None)
    for action, label, style in (
        ("confirm", "Confirm", discord.ButtonStyle.success),
        ("reshuffle", "Reshuffle", discord.ButtonStyle.secondary),
        ("cancel", "Cancel", discord.ButtonStyle.danger),
    ):
        view.add_item(AssignButton(action, preview.session_id, preview.seed, label, style))
    return view


def class_list_of(bot: ConductorBot, guild_id: int) -> ClassList:
    """The class of a guild the bot is in (empty when the guild is unknown)."""
    guild = bot.get_guild(guild_id)
    return class_list(guild, bot.course) if guild is not None else ClassList({})


def permission_note(channel: object) -> str | None:
    """What Confirm will not be able to do in `channel` with the bot's permissions there, and what to grant."""
    if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return None
    parent = channel.parent if isinstance(channel, discord.Thread) and channel.parent else channel
    permissions = parent.permissions_for(parent.guild.me)
    lines = plan_lines(confirm_plan(permissions), permissions, getattr(parent, "mention", "this channel"))
    return "\n".join(["**Before you confirm:**", *(f"- {line}" for line in lines)]) if lines else None


def preview_message(
    bot: ConductorBot, preview: Preview, roster: ClassList, channel: object = None
) -> dict[str, Any]:
    """The preview's embeds and buttons, and what the current permissions will not allow."""
    who = "the checked-in students" if preview.checked_in_only else "every member with the student role"
    footer = f"{len(preview.assignment.seats)} students ({who})."
    message = render.preview(
        preview.assignment, bot.course, roster.students, preview.seed, preview.replacing, footer
    )
    _, embeds = as_answer(message)
    return {"content": permission_note(channel), "embeds": embeds, "view": preview_view(preview)}


class AssignButton(
    ConductorItem[discord.ui.Button[Any]],
    template=r"conductor:assign:(?P<action>confirm|reshuffle|cancel|replace|keep):(?P<session>\d+):(?P<seed>\d+)",
):
    """A button on a preview (or on the "replace it?" question)."""

    def __init__(
        self,
        action: str,
        session_id: int,
        seed: int,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action.title(),
                style=style,
                custom_id=f"conductor:assign:{action}:{session_id}:{seed}",
            )
        )
        self.action, self.session_id, self.seed = action, session_id, seed

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AssignButton:
        """Rebuild the button from its custom id."""
        return cls(match["action"], int(match["session"]), int(match["seed"]))

    async def allowed(self, interaction: discord.Interaction[ConductorBot]) -> bool:
        """Only instructors press these."""
        if not is_instructor(interaction.user, tuple(interaction.client.course.instructor_roles)):
            await reply(interaction, "Only instructors can confirm or change the assignment.")
            return False
        return True

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Run the pressed action."""
        bot = interaction.client
        assert interaction.guild is not None
        roster = class_list(interaction.guild, bot.course)
        service = bot.assignments
        if self.action == "keep":
            await interaction.response.edit_message(content="Kept the confirmed assignment.", view=None)
            return
        if self.action == "cancel":
            answer = await service.cancel(self.session_id, self.seed)
            await interaction.response.edit_message(content=answer, embeds=[], view=None)
            return
        if self.action in {"reshuffle", "replace"}:
            await interaction.response.defer()
            preview = await service.preview(
                guild_id=interaction.guild.id,
                channel_id=0,
                roster=roster,
                replace=True,
                session_id=self.session_id,
            )
            message = preview_message(bot, preview, roster, interaction.channel)
            await interaction.edit_original_response(**message)
            message["view"].stop()
            return
        await interaction.response.edit_message(
            content="Confirming: sending role cards and opening rooms; the table is posted once that is done…",
            view=None,
        )
        report = await service.confirm(self.session_id, self.seed, roster, interaction.user.id)
        text = (
            f"Confirmed for {report.students} students. {report.instructor_text()} "
            "Follow acknowledgements with `/roles status`."
        )
        # The answer is the instructor's only record of what happened: if it cannot be given here (the
        # interaction's token died), it goes by DM; a stop before this line is told at the next start.
        try:
            await interaction.followup.send(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.warning("could not answer Confirm in session %s: reporting by DM", self.session_id)
            await service.report_by_dm(self.session_id, interaction.user.id, text)
        else:
            await service.reported(self.session_id)


class AckButton(SessionButton, template=r"conductor:ack:(?P<session>\d+)"):
    """ "Got it" on a role card."""

    LABEL = "Got it"
    STYLE = discord.ButtonStyle.success
    PREFIX = ACK_PREFIX
    ANSWER_WITHIN = QUICK_ANSWER

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Record the acknowledgement (a replaced card's button says so and records nothing)."""
        message_id = interaction.message.id if interaction.message is not None else None
        answer = await interaction.client.assignments.acknowledge(
            self.session_id, interaction.user.id, message_id
        )
        await reply(interaction, answer)


class ShowRoleButton(SessionButton, template=r"conductor:card:(?P<session>\d+)"):
    """ "Show my role" in a group thread, for students whose DMs are closed."""

    LABEL = "Show my role"
    STYLE = discord.ButtonStyle.primary
    PREFIX = SHOW_PREFIX
    ANSWER_WITHIN = QUICK_ANSWER

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show the presser their own card, only to them."""
        await send_card(interaction, self.session_id)


class CheckInButton(ConductorItem[discord.ui.Button[Any]], template=r"conductor:checkin:(?P<session>\d+)"):
    """ "I'm here" on the check-in message."""

    ANSWER_WITHIN = QUICK_ANSWER

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'm here",
                style=discord.ButtonStyle.success,
                custom_id=f"conductor:checkin:{session_id}",
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CheckInButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["session"]))

    async def allowed(self, interaction: discord.Interaction[ConductorBot]) -> bool:
        """Only members with the student role check in."""
        wanted = interaction.client.course.student_role.casefold()
        roles = getattr(interaction.user, "roles", [])
        if any(r.name.casefold() == wanted for r in roles):
            return True
        raise ConductorError(
            f"Only members with the **{interaction.client.course.student_role}** role check in; "
            "ask the instructor to give you the role if you are in the class."
        )

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Record that the student is here."""
        answer = await interaction.client.assignments.check_in(self.session_id, interaction.user.id)
        await reply(interaction, answer)


def checkin_view(session_id: int) -> discord.ui.View:
    """The I'm here button under the check-in message."""
    view = discord.ui.View(timeout=None)
    view.add_item(CheckInButton(session_id))
    return view


def card_view(session_id: int, form: str | None = None) -> discord.ui.View:
    """The Got it button under a card, and the button opening the role's form when it has one."""
    view = discord.ui.View(timeout=None)
    view.add_item(AckButton(session_id))
    if form:
        view.add_item(FormButton(session_id, form))
    return view


def show_role_view(session_id: int) -> discord.ui.View:
    """The Show my role button under a fallback ping."""
    view = discord.ui.View(timeout=None)
    view.add_item(ShowRoleButton(session_id))
    return view


async def send_card(interaction: discord.Interaction[ConductorBot], session_id: int) -> None:
    """Answer with the student's own card, ephemerally, with its Got it button."""
    card = await interaction.client.assignments.card(session_id, interaction.user.id)
    text, embeds = as_answer(render.card_message(card))
    view = card_view(session_id, render.form_label(card.role))
    await reply(interaction, text, embeds=embeds, view=view)
    view.stop()  # dynamic items need no stored view (see the /assign preview)


class AssignCog(commands.Cog):
    """`/assign` and `/myrole`."""

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="assign", description="Preview a fair paper-and-role assignment, then confirm it"
    )
    @instructor_only()
    async def assign(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show the preview with Confirm, Reshuffle and Cancel (or ask before replacing a confirmed one)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        roster = class_list(interaction.guild, self.bot.course)
        try:
            preview = await self.bot.assignments.preview(
                guild_id=interaction.guild.id, channel_id=session_channel(interaction), roster=roster
            )
        except AlreadyConfirmed as asked:
            view = discord.ui.View(timeout=None)
            view.add_item(
                AssignButton(
                    "replace", asked.session_id, 0, "Make a new assignment", discord.ButtonStyle.danger
                )
            )
            view.add_item(AssignButton("keep", asked.session_id, 0, "Keep it", discord.ButtonStyle.secondary))
            await interaction.followup.send(str(asked), view=view, ephemeral=True)
            return
        message = preview_message(self.bot, preview, roster, interaction.channel)
        await interaction.followup.send(ephemeral=True, **message)
        # The buttons are dynamic items, found by their custom ids: the copy of the view discord.py keeps
        # for an ephemeral message (for 15 minutes) is not needed, and would keep this bot alive that long.
        message["view"].stop()

    @app_commands.command(
        name="checkin", description='Post an "I\'m here" button; /assign then seats only those who press it'
    )
    @instructor_only()
    async def checkin(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Post the check-in message in this channel's session."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        answer = await self.bot.assignments.post_checkin(
            interaction.guild_id, session_channel(interaction), interaction.user.id
        )
        await interaction.followup.send(answer, ephemeral=True)

    @app_commands.command(name="myrole", description="Your paper and role card for today, only to you")
    async def myrole(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show the student's card again."""
        await acknowledge(interaction)  # at once: the card's database reads may wait behind a busy writer
        channel = session_channel(interaction) if interaction.guild_id else None
        session_id = await self.bot.assignments.my_session(interaction.user.id, interaction.guild_id, channel)
        await send_card(interaction, session_id)


def _member(interaction: discord.Interaction[ConductorBot], user: discord.Member | discord.User) -> int:
    if user.bot:
        raise ConductorError("Bots do not take part: pick a student.")
    return user.id


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class RolesGroup(
    app_commands.Group, name="roles", description="The confirmed assignment: status and changes"
):
    """Instructor commands on the confirmed assignment of this channel's session."""

    def __init__(self, bot: ConductorBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(
        name="status", description="Who acknowledged their role, whose DM failed, who has not yet"
    )
    @instructor_only()
    async def status(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show acknowledgements."""
        assert interaction.guild_id is not None
        await acknowledge(interaction)  # at once: asked mid-session, its reads may wait behind the writes
        lines = await self.bot.assignments.status(interaction.guild_id, session_channel(interaction))
        await reply(interaction, "", embed=status_embed(lines))

    async def _edit(
        self, interaction: discord.Interaction[ConductorBot], action: EditAction, **args: Any
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        roster = class_list(interaction.guild, self.bot.course)
        named = (interaction.guild.get_member(args.get(k) or 0) for k in ("student", "other"))
        # A student named here may lack the student role: their display name is still stored when seated.
        extra = {m.id: m.display_name for m in named if m is not None and m.id not in roster.students}
        if extra:
            roster = ClassList({**roster.students, **extra}, roster.teachers)
        said, outcome = await self.bot.assignments.edit(
            guild_id=interaction.guild.id,
            channel_id=session_channel(interaction),
            action=action,
            roster=roster,
            actor_id=interaction.user.id,
            **args,
        )
        table = " The table is updated." if outcome.table_updated else ""
        await reply(interaction, rich(said, table, " ", outcome.summary()))

    @app_commands.command(name="swap", description="Two students exchange papers and roles")
    @app_commands.describe(a="One student", b="The other student")
    @instructor_only()
    async def swap(
        self, interaction: discord.Interaction[ConductorBot], a: discord.Member, b: discord.Member
    ) -> None:
        """Swap two students' seats."""
        await self._edit(
            interaction, EditAction.SWAP, student=_member(interaction, a), other=_member(interaction, b)
        )

    @app_commands.command(name="move", description="Give a student another paper and role")
    @app_commands.describe(student="The student", paper="The paper", role="The role")
    @instructor_only()
    async def move(
        self, interaction: discord.Interaction[ConductorBot], student: discord.Member, paper: str, role: str
    ) -> None:
        """Move a student to a (paper, role)."""
        await self._edit(
            interaction, EditAction.MOVE, student=_member(interaction, student), paper=paper, role=role
        )

    @move.autocomplete("paper")
    async def paper_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the configured papers."""
        return [
            app_commands.Choice(name=p.title, value=p.key)
            for p in self.bot.course.papers
            if current.lower() in p.title.lower()
        ][:25]

    @move.autocomplete("role")
    async def role_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the configured roles."""
        return [
            app_commands.Choice(name=r.name, value=r.key)
            for r in self.bot.course.roles
            if current.lower() in r.name.lower()
        ][:25]

    @app_commands.command(name="add", description="A late arrival joins where the plan is thinnest")
    @app_commands.describe(student="The student who arrived")
    @instructor_only()
    async def add(self, interaction: discord.Interaction[ConductorBot], student: discord.Member) -> None:
        """Seat a late student."""
        await self._edit(interaction, EditAction.ADD, student=_member(interaction, student))

    @app_commands.command(name="remove", description="An absent student leaves; partners and group are told")
    @app_commands.describe(student="The absent student")
    @instructor_only()
    async def remove(self, interaction: discord.Interaction[ConductorBot], student: discord.Member) -> None:
        """Unseat an absent student."""
        await self._edit(interaction, EditAction.REMOVE, student=_member(interaction, student))


async def setup(bot: ConductorBot) -> None:
    """Register `/assign`, `/myrole`, `/roles` and the persistent buttons."""
    bot.add_dynamic_items(AssignButton, AckButton, ShowRoleButton, CheckInButton)
    bot.sender.register_view("checkin", lambda args: checkin_view(int(args["session"])))
    bot.sender.register_view("role-card", lambda args: card_view(int(args["session"]), args.get("form")))
    bot.sender.register_view("show-role", lambda args: show_role_view(int(args["session"])))
    await bot.add_cog(AssignCog(bot))
    bot.tree.add_command(RolesGroup(bot))
    await bot.assignments.rebuild()
    task = asyncio.create_task(resume_when_ready(bot))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def resume_when_ready(bot: ConductorBot) -> None:
    """Once connected (channels and permissions known): finish confirms a stop cut short, tell their instructors."""
    await bot.wait_until_ready()
    try:
        await bot.assignments.resume(lambda guild_id: class_list_of(bot, guild_id))
    except Exception:
        log.exception("could not finish a confirm cut short")


async def teardown(bot: commands.Bot) -> None:
    """Unregister `/roles`."""
    bot.tree.remove_command("roles")
