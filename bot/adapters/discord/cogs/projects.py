"""`/project`: proposals, groups, choices, own projects; the cards' buttons and the forms they open."""

from __future__ import annotations

import io
import re
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.answers import projects as render
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.components import ConductorItem, ConductorModal, ConductorView
from bot.adapters.discord.permissions import instructor_only, is_instructor
from bot.adapters.discord.rooms import student_ids
from bot.adapters.discord.tree import reply
from bot.core.errors import ConductorError
from bot.core.message import Rich, rich
from bot.core.projects import ABSTRACT_MAX, NAME_MAX, REASON_MAX, TITLE_MAX
from bot.messages.projects import group_line, typed

PREFIX = "conductor:proj:"


def _guild(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise ConductorError("Project groups live in the course's server: use this there, not in DMs.")
    return interaction.guild_id


def short(title: str) -> str:
    """A proposal's short name for a menu: the part before the colon."""
    return title.split(":")[0].strip()[:100]


class ProposalPick(
    ConductorItem[discord.ui.Select[Any]], template=r"conductor:proj:(?P<act>choose|interest):(?P<n>\d{1,3})"
):
    """The menus under a post of proposal cards: "Choose for my group" and "I'm interested"."""

    def __init__(self, act: str, n: int, options: list[discord.SelectOption]) -> None:
        placeholder = "Choose this project for my group" if act == "choose" else "I'm interested in..."
        super().__init__(
            discord.ui.Select(
                custom_id=f"{PREFIX}{act}:{n}",
                placeholder=placeholder,
                options=options,
                min_values=1,
                max_values=1,
            )
        )
        self.act_name = act

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ProposalPick:
        """Rebuild the menu from the message (its options are the post's proposals)."""
        assert isinstance(item, discord.ui.Select)  # discord.py rebuilds a string select as a Select
        return cls(match["act"], int(match["n"]), list(item.options))

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Choose the picked proposal for the presser's group, or note their interest."""
        service = interaction.client.projects
        guild = _guild(interaction)
        key = self.item.values[0]
        await interaction.response.defer(ephemeral=True, thinking=True)
        answer: str | Rich
        if self.act_name == "choose":
            answer = await service.choose(guild, interaction.user.id, key)
        else:
            answer = await service.interested(guild, interaction.user.id, key)
        await reply(interaction, answer)


class NameModal(ConductorModal):
    """The group's name (Create a group)."""

    def __init__(self) -> None:
        super().__init__(title="Create a project group", custom_id=f"{PREFIX}create-form")
        self.name: discord.ui.TextInput[NameModal] = discord.ui.TextInput(
            label="Group name", max_length=NAME_MAX, custom_id="name"
        )
        self.add_item(self.name)

    # discord.py types on_submit for any client; this bot's modals only get ConductorBot interactions.
    async def on_submit(self, interaction: discord.Interaction[ConductorBot]) -> None:  # type: ignore[override]
        """Create the group."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction,
            await interaction.client.projects.create(
                _guild(interaction), interaction.user.id, self.name.value
            ),
        )


class CodeModal(ConductorModal):
    """The code a group member shared (Join with a code)."""

    def __init__(self) -> None:
        super().__init__(title="Join a project group", custom_id=f"{PREFIX}join-form")
        self.code: discord.ui.TextInput[CodeModal] = discord.ui.TextInput(
            label="The group's code", max_length=12, custom_id="code", placeholder="e.g. K7M2QX"
        )
        self.add_item(self.code)

    # discord.py types on_submit for any client; this bot's modals only get ConductorBot interactions.
    async def on_submit(self, interaction: discord.Interaction[ConductorBot]) -> None:  # type: ignore[override]
        """Join the group."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction,
            await interaction.client.projects.join(_guild(interaction), interaction.user.id, self.code.value),
        )


class ProposeModal(ConductorModal):
    """The group's own project: a title and an abstract."""

    def __init__(self) -> None:
        super().__init__(title="Propose your own project", custom_id=f"{PREFIX}propose-form")
        self.project_title: discord.ui.TextInput[ProposeModal] = discord.ui.TextInput(
            label="Title", max_length=TITLE_MAX, custom_id="title"
        )
        self.abstract: discord.ui.TextInput[ProposeModal] = discord.ui.TextInput(
            label="Abstract (aligned with the course)",
            style=discord.TextStyle.paragraph,
            max_length=ABSTRACT_MAX,
            custom_id="abstract",
        )
        self.add_item(self.project_title)
        self.add_item(self.abstract)

    # discord.py types on_submit for any client; this bot's modals only get ConductorBot interactions.
    async def on_submit(self, interaction: discord.Interaction[ConductorBot]) -> None:  # type: ignore[override]
        """File the proposal."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        answer = await interaction.client.projects.propose(
            _guild(interaction), interaction.user.id, self.project_title.value, self.abstract.value
        )
        await reply(interaction, answer)


class GroupButton(ConductorItem[discord.ui.Button[Any]], template=r"conductor:proj:(?P<act>create|join)"):
    """ "Create a group" and "Join with a code" under the proposal cards: open their forms."""

    def __init__(self, act: str) -> None:
        label = "Create a group" if act == "create" else "Join with a code"
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.primary, custom_id=f"{PREFIX}{act}")
        )
        self.act_name = act

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> GroupButton:
        """Rebuild the button from its custom id."""
        return cls(match["act"])

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Open the form."""
        await interaction.response.send_modal(NameModal() if self.act_name == "create" else CodeModal())


def cards_view(bot: ConductorBot, args: dict[str, Any]) -> discord.ui.View:
    """The menus under a post of proposal cards (Choose, I'm interested), then Create and Join."""
    view = ConductorView(timeout=None)
    proposals = {p.key: p for p in bot.course.projects}
    options = [
        discord.SelectOption(
            label=short(proposals[key].title) if key in proposals else key,
            value=key,
            description=", ".join(proposals[key].supervisors)[:100] if key in proposals else None,
        )
        for key in args.get("keys", [])
    ]
    n = int(args.get("n", 0))
    view.add_item(ProposalPick("choose", n, options))
    view.add_item(
        ProposalPick("interest", n, [discord.SelectOption(label=o.label, value=o.value) for o in options])
    )
    if args.get("groups"):
        for act in ("create", "join"):
            view.add_item(GroupButton(act))
    return view


async def proposal_keys(
    interaction: discord.Interaction[ConductorBot], current: str
) -> list[app_commands.Choice[str]]:
    """Offer the proposals."""
    text = current.casefold()
    return [
        app_commands.Choice(name=f"{p.title}"[:100], value=p.key)
        for p in interaction.client.course.projects
        if text in p.title.casefold() or text in p.key
    ][:25]


async def group_names(
    interaction: discord.Interaction[ConductorBot], current: str
) -> list[app_commands.Choice[str]]:
    """Offer the guild's groups."""
    if interaction.guild_id is None:
        return []
    state = await interaction.client.projects.state(interaction.guild_id)
    text = current.casefold()
    return [
        app_commands.Choice(name=g.name[:100], value=g.name[:100])
        for g in state.groups
        if text in g.name.casefold()
    ][:25]


@app_commands.guild_only()
class ProjectGroup(app_commands.Group, name="project", description="Course projects: proposals and groups"):
    """Students form groups and choose projects; instructors follow and steer."""

    def __init__(self, bot: ConductorBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(name="list", description="The project proposals, their supervisors and free places")
    @app_commands.describe(post="Instructors: post the proposal cards with their buttons in this channel")
    async def list_(self, interaction: discord.Interaction[ConductorBot], post: bool = False) -> None:
        """Show the proposals (or post their cards)."""
        guild = _guild(interaction)
        if post:
            if not is_instructor(interaction.user, self.bot.course.instructor_roles):
                raise ConductorError(
                    "Only instructors post the proposal cards; leave `post` out to see the list."
                )
            assert interaction.channel_id is not None
            await interaction.response.defer(ephemeral=True, thinking=True)
            n = await self.bot.projects.post_cards(guild, interaction.channel_id)
            await reply(interaction, f"Posted the proposal cards ({n} message(s)).")
            return
        state = await self.bot.projects.state(guild)
        await reply(interaction, "", embed=render.list_embed(state, await self.bot.projects.interest(guild)))

    @app_commands.command(name="create", description="Start a project group and get its join code")
    @app_commands.describe(name="Your group's name")
    async def create(self, interaction: discord.Interaction[ConductorBot], name: str) -> None:
        """Create a group."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction, await self.bot.projects.create(_guild(interaction), interaction.user.id, name)
        )

    @app_commands.command(name="join", description="Join a project group with the code a member shared")
    @app_commands.describe(code="The group's code, e.g. K7M2QX")
    async def join(self, interaction: discord.Interaction[ConductorBot], code: str) -> None:
        """Join a group."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(interaction, await self.bot.projects.join(_guild(interaction), interaction.user.id, code))

    @app_commands.command(name="leave", description="Leave your project group")
    async def leave(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Leave the group."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(interaction, await self.bot.projects.leave(_guild(interaction), interaction.user.id))

    @app_commands.command(name="choose", description="Choose a proposal for your group")
    @app_commands.describe(proposal="The proposal")
    @app_commands.autocomplete(proposal=proposal_keys)
    async def choose(self, interaction: discord.Interaction[ConductorBot], proposal: str) -> None:
        """Choose a proposal."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction, await self.bot.projects.choose(_guild(interaction), interaction.user.id, proposal)
        )

    @app_commands.command(
        name="propose", description="Propose your group's own project (an instructor approves it)"
    )
    async def propose(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Open the own-project form."""
        _guild(interaction)
        await interaction.response.send_modal(ProposeModal())

    @app_commands.command(name="status", description="Your group (instructors: every group and who has none)")
    async def status(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show the student's group, or the whole picture to instructors."""
        guild = _guild(interaction)
        state = await self.bot.projects.state(guild)
        if is_instructor(interaction.user, self.bot.course.instructor_roles):
            pages = render.status_pages(state, student_ids(self.bot, guild))
            await reply(interaction, "", embeds=pages[0])
            for page in pages[1:]:
                await interaction.followup.send(embeds=page, ephemeral=True)
            return
        group = state.group_of(interaction.user.id)
        if group is None:
            await reply(
                interaction,
                "You are not in a project group yet: `/project create`, or `/project join code:...`.",
            )
            return
        text = group_line(state, group)
        if group.own is not None and group.own.reason:
            text = rich(text, "\nSent back: ", typed(group.own.reason))
        await reply(interaction, text)

    @app_commands.command(name="place", description="Place a student into a group (also after the lock)")
    @app_commands.describe(student="The student", group="The group")
    @app_commands.autocomplete(group=group_names)
    @instructor_only()
    async def place(
        self, interaction: discord.Interaction[ConductorBot], student: discord.Member, group: str
    ) -> None:
        """Place a student."""
        if student.bot:
            raise ConductorError("Bots do not take part: pick a student.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction,
            await self.bot.projects.place(_guild(interaction), interaction.user.id, student.id, group),
        )

    @app_commands.command(name="assign", description="Give a group a proposal (also after the lock)")
    @app_commands.describe(group="The group", proposal="The proposal")
    @app_commands.autocomplete(group=group_names, proposal=proposal_keys)
    @instructor_only()
    async def assign(self, interaction: discord.Interaction[ConductorBot], group: str, proposal: str) -> None:
        """Set a group's proposal."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction,
            await self.bot.projects.assign(_guild(interaction), interaction.user.id, group, proposal),
        )

    @app_commands.command(name="approve", description="Approve a group's own project")
    @app_commands.autocomplete(group=group_names)
    @instructor_only()
    async def approve(self, interaction: discord.Interaction[ConductorBot], group: str) -> None:
        """Approve an own project."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction, await self.bot.projects.approve(_guild(interaction), interaction.user.id, group)
        )

    @app_commands.command(name="return", description="Send a group's own project back with a reason")
    @app_commands.describe(group="The group", reason="What to change (the group is told by DM)")
    @app_commands.autocomplete(group=group_names)
    @instructor_only()
    async def return_(
        self,
        interaction: discord.Interaction[ConductorBot],
        group: str,
        reason: app_commands.Range[str, 1, REASON_MAX],
    ) -> None:
        """Send an own project back."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply(
            interaction,
            await self.bot.projects.send_back(_guild(interaction), interaction.user.id, group, reason),
        )

    @app_commands.command(name="export", description="Every group and student as CSV, and a Markdown report")
    @instructor_only()
    async def export(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Attach the export."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        names = {m.id: m.display_name for m in interaction.guild.members}
        files = await self.bot.projects.export(
            interaction.guild.id, names, student_ids(self.bot, interaction.guild.id)
        )
        attachments = [discord.File(io.BytesIO(text.encode()), filename=name) for name, text in files.items()]
        await interaction.followup.send(
            "Course projects: one CSV row per student, and a report.", files=attachments, ephemeral=True
        )


async def setup(bot: ConductorBot) -> None:
    """Register `/project`, the persistent card buttons and their view."""
    bot.add_dynamic_items(ProposalPick, GroupButton)
    bot.sender.register_view("project-cards", lambda args: cards_view(bot, args))
    bot.tree.add_command(ProjectGroup(bot))


async def teardown(bot: ConductorBot) -> None:
    """Unregister `/project`."""
    bot.tree.remove_command("project")
