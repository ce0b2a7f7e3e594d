"""Course projects: groups form, choose a proposal or file their own, and get a private room.

Each action loads the guild's groups, applies the pure rule (`bot.core.projects`) and writes the change
in one transaction. Seats and proposal places are unique rows, so when two groups take the last place
at the same instant one insert fails; the action is then tried again on the new state, where the rule
answers the loser clearly, with the alternatives. Posts (room welcomes, returned proposals) go through
the outbox like every other post.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core import projects as rules
from bot.core.clock import Clock
from bot.core.errors import ConductorError, quoted
from bot.core.message import Code, Mention, Message, Rich, UserText, bold, rich
from bot.core.plan import Course
from bot.core.projects import Group, GroupStatus, ProjectState
from bot.core.projects_export import export_files
from bot.messages import projects as render
from bot.messages.outbox import message_of, stored
from bot.services.errors import Conflict
from bot.services.ports import Transaction, UnitOfWork

log = logging.getLogger(__name__)
ATTEMPTS = 4
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def scope_of(guild_id: int) -> str:
    """The outbox scope of a guild's project posts."""
    return f"projects:{guild_id}"


class Rooms(Protocol):
    """Private rooms for project groups (threads on Discord)."""

    async def open(
        self, guild_id: int, name: str, members: Sequence[int], supervisors: Sequence[str]
    ) -> int | None:
        """Create a room with these members and supervisors (by configured name); its id, or None."""
        ...

    async def add(self, room_id: int, members: Sequence[int]) -> None:
        """Add members to a room."""
        ...

    async def remove(self, room_id: int, members: Sequence[int]) -> None:
        """Remove members from a room."""
        ...

    async def add_supervisors(self, guild_id: int, room_id: int, supervisors: Sequence[str]) -> None:
        """Add supervisors (by configured name) to a room."""
        ...

    async def archive(self, room_id: int) -> None:
        """Archive a room nobody uses any more."""
        ...


@dataclass(frozen=True)
class Change:
    """What one action did: the state before and after, and the answer for the person who acted."""

    old: ProjectState
    new: ProjectState
    answer: str


class ProjectService:
    """Project groups, choices, own proposals and rooms; knows Discord only through `Rooms`."""

    def __init__(
        self,
        course: Course,
        uow: UnitOfWork,
        clock: Clock,
        flush: Callable[[str], Awaitable[None]],
        rooms: Rooms | None = None,
        instructors: Callable[[int], Sequence[int]] | None = None,
    ) -> None:
        self.course = course
        self.instructors = instructors
        self.uow = uow
        self.clock = clock
        self.flush = flush
        self.rooms = rooms
        self.base = ProjectState(course.projects, course.project_rules)

    # --- reading ------------------------------------------------------------------------------

    async def state(self, guild_id: int) -> ProjectState:
        """The guild's groups and the configured proposals."""
        async with self.uow.read() as tx:
            return await tx.projects.load(guild_id, self.base)

    async def interest(self, guild_id: int) -> dict[str, int]:
        """How many students are interested in each proposal."""
        async with self.uow.read() as tx:
            return await tx.projects.interest_counts(guild_id)

    def _require(self) -> None:
        if not self.course.projects:
            raise ConductorError("This course has no project proposals configured (`[[projects]]`).")

    # --- the one write path -----------------------------------------------------------------------

    async def _change(
        self, guild_id: int, actor: int, action: Callable[[ProjectState, datetime], ProjectState]
    ) -> tuple[ProjectState, ProjectState]:
        self._require()
        for _ in range(ATTEMPTS):
            now = self.clock.now()
            try:
                async with self.uow.begin() as tx:
                    old = await tx.projects.load(guild_id, self.base)
                    new = action(old, now)
                    rooms = await tx.projects.rooms(guild_id)  # before a dissolved group takes its own along
                    await tx.projects.save(guild_id, old, new, actor, now)
                    saved = await tx.projects.load(guild_id, self.base)
                await self._sync_rooms(guild_id, old, saved, rooms)
                if any(old.taken(p.key) != saved.taken(p.key) for p in saved.proposals):
                    await self._recount(guild_id, saved)
                return old, saved
            except Conflict:
                # Someone took the same seat, place, name or code in the same instant: look again. The
                # rule now sees their change and answers clearly (full, taken, already in a group).
                log.info("project change in guild %s raced another; trying again", guild_id)
        raise ConductorError("Many people are changing groups right now: please try again in a moment.")

    # --- students --------------------------------------------------------------------------------

    async def create(self, guild_id: int, user: int, name: str) -> Rich:
        """A student creates a group and joins it."""

        def act(state: ProjectState, now: datetime) -> ProjectState:
            code = "".join(secrets.choice(rules.CODE_ALPHABET) for _ in range(6))
            return rules.create_group(state, user, name, code, now)[0]

        _, new = await self._change(guild_id, user, act)
        group = new.group_of(user)
        assert group is not None
        r = self.course.project_rules
        return rich(
            "Created ",
            bold(render.typed(group.name)),
            f". Share the code `{group.code}`: others join with "
            f"`/project join code:{group.code}` or the **Join with a code** button (up to {r.max_size} "
            f"students, {r.recommended_size} recommended). Then choose a proposal with the **Choose** menu "
            "under the proposal cards or `/project choose`.",
        )

    async def join(self, guild_id: int, user: int, code: str) -> Rich:
        """A student joins the group with this code."""
        _, new = await self._change(
            guild_id, user, lambda st, now: rules.join(st, user, st.by_code(code).id, now)
        )
        group = new.group_of(user)
        assert group is not None
        size = f" ({len(group.members)}/{new.rules.max_size})."
        return rich("You joined ", bold(render.typed(group.name)), ": ", render.who(group.members), size)

    async def leave(self, guild_id: int, user: int) -> Rich:
        """A student leaves their group."""
        old, _ = await self._change(guild_id, user, lambda st, now: rules.leave(st, user, now))
        group = old.group_of(user)
        assert group is not None
        gone = (
            " It had no other members, so it is dissolved and its place is free again."
            if len(group.members) == 1
            else ""
        )
        return rich("You left ", bold(render.typed(group.name)), f".{gone}")

    async def choose(self, guild_id: int, user: int, key: str) -> Rich:
        """A member chooses a proposal for their group (atomic: the last place goes to one group only)."""
        old, new = await self._change(guild_id, user, lambda st, now: rules.choose(st, user, key, now))
        group = new.group_of(user)
        before = old.group_of(user)
        assert group is not None
        p = new.proposal(key)
        had_room = before is not None and before.status in (GroupStatus.PROPOSAL, GroupStatus.OWN)
        room = "Your group's room is told." if had_room else "Your group's private room opens now."
        return rich(
            bold(render.typed(group.name)),
            f" has chosen **{p.title}** (supervisor: {', '.join(p.supervisors)}); "
            f"{new.taken(key)} of {p.max_groups} places are now taken. {room}",
        )

    async def propose(self, guild_id: int, user: int, title: str, abstract: str) -> str:
        """A member files the group's own project for approval."""
        _, new = await self._change(
            guild_id, user, lambda st, now: rules.propose_own(st, user, title, abstract, now)
        )
        group = new.group_of(user)
        if group is not None and group.own is not None and self.instructors is not None:
            text = rich(
                bold(render.typed(group.name)),
                " (",
                render.who(group.members),
                ") filed its own project for approval: ",
                bold(render.typed(group.own.title)),
                "\n>>> ",
                UserText(group.own.abstract, multiline=True, limit=1500),
                "\nApprove it with `/project approve`, or send it back with `/project return` and a reason.",
            )
            stamp = int(self.clock.now().timestamp() * 1000)
            async with self.uow.begin() as tx:
                for teacher in self.instructors(guild_id):
                    body = stored(Message(text))
                    await self._post(
                        tx, guild_id, f"filed:{group.id}:{stamp}:{teacher}", teacher, body, kind="dm"
                    )
            await self.flush(scope_of(guild_id))
        return "Filed: an instructor will approve your project or send it back with a reason. `/project status` shows where it stands."

    async def interested(self, guild_id: int, user: int, key: str) -> str:
        """A student says they are interested in a proposal."""
        self._require()
        p = self.base.proposal(key)
        async with self.uow.begin() as tx:
            new = await tx.projects.interest(guild_id, key, user, self.clock.now())
        again = "" if new else " (you had said so already)"
        return f"Noted: you are interested in **{p.title}**{again}. Find a group with `/project list` and `/project status`."

    # --- instructors -------------------------------------------------------------------------------

    async def _named(self, guild_id: int, name: str) -> Group:
        state = await self.state(guild_id)
        for g in state.groups:
            if g.name.casefold() == name.strip().casefold() or g.code == name.strip().upper():
                return g
        raise ConductorError(
            rich("No group is called ", Code(quoted(name, 60)), ": see `/project status` for the names.")
        )

    async def place(self, guild_id: int, actor: int, student: int, group_name: str) -> Rich:
        """An instructor places a student into a group (moving them out of any other)."""
        target = await self._named(guild_id, group_name)
        await self._change(guild_id, actor, lambda st, now: rules.place(st, student, target.id, now))
        return rich("Placed ", Mention(student), " in ", bold(render.typed(target.name)), ".")

    async def assign(self, guild_id: int, actor: int, group_name: str, key: str) -> Rich:
        """An instructor sets a group's proposal (also after the lock)."""
        target = await self._named(guild_id, group_name)
        await self._change(
            guild_id,
            actor,
            lambda st, now: rules.choose(st, actor, key, now, instructor=True, group_id=target.id),
        )
        return rich(bold(render.typed(target.name)), f" now has **{self.base.proposal(key).title}**.")

    async def approve(self, guild_id: int, actor: int, group_name: str) -> Rich:
        """An instructor approves a group's own project."""
        target = await self._named(guild_id, group_name)
        await self._change(guild_id, actor, lambda st, now: rules.approve(st, target.id, now))
        return rich("Approved ", bold(render.typed(target.name)), "'s own project: its room opens now.")

    async def send_back(self, guild_id: int, actor: int, group_name: str, reason: str) -> Rich:
        """An instructor sends a group's own project back with a reason; the members are told by DM."""
        target = await self._named(guild_id, group_name)
        _, new = await self._change(
            guild_id, actor, lambda st, now: rules.send_back(st, target.id, reason, now)
        )
        group = new.group(target.id)
        assert group.own is not None
        text = rich(
            "Your group's own project ",
            bold(render.typed(group.own.title)),
            " was sent back by an instructor:\n> ",
            render.typed(group.own.reason),
            "\nRevise it and file it again with `/project propose`, or "
            "choose one of the proposals (`/project list`).",
        )
        async with self.uow.begin() as tx:
            for u in group.members:
                await self._post(
                    tx,
                    guild_id,
                    f"returned:{group.id}:{int(self.clock.now().timestamp())}:{u}",
                    u,
                    stored(Message(text)),
                    kind="dm",
                )
        await self.flush(scope_of(guild_id))
        told = f"'s project; its {len(group.members)} member(s) are told why by DM."
        return rich("Sent back ", bold(render.typed(group.name)), told)

    # --- rooms and posts ---------------------------------------------------------------------------

    async def _post(
        self,
        tx: Transaction,
        guild_id: int,
        key: str,
        channel_id: int,
        body: dict[str, Any],
        kind: str = "send",
        at: datetime | None = None,
    ) -> None:
        await tx.outbox.enqueue(
            scope=scope_of(guild_id),
            key=key,
            channel_id=channel_id,
            payload=body,
            now=self.clock.now(),
            kind=kind,
            not_before=at,
        )

    def chat_text(self) -> str | None:
        """The weekly supervisor chat as people read it, if configured."""
        r = self.course.project_rules
        if r.chat_weekday is None or r.chat_time is None:
            return None
        return f"{WEEKDAYS[r.chat_weekday]}s at {r.chat_time:%H:%M} ({self.course.timezone})"

    async def _sync_rooms(
        self, guild_id: int, old: ProjectState, new: ProjectState, rooms: dict[int, int]
    ) -> None:
        """Open a room for each group that got a project; keep its members and supervisors in step."""
        if self.rooms is None:
            return
        before = {g.id: g for g in old.groups}
        after = {g.id for g in new.groups}
        for group in new.groups:
            has_project = group.status in (GroupStatus.PROPOSAL, GroupStatus.OWN)
            room = rooms.get(group.id)
            prev = before.get(group.id)
            try:
                if room is None and has_project:
                    await self._open_room(guild_id, new, group)
                elif room is not None:
                    prev_members = set(prev.members) if prev else set()
                    if added := [u for u in group.members if u not in prev_members]:
                        await self.rooms.add(room, added)
                    if gone := [u for u in prev_members if u not in group.members]:
                        await self.rooms.remove(room, gone)
                    if prev is not None and group.proposal and group.proposal != prev.proposal:
                        await self._new_project(guild_id, new, group, room)
            except Exception:  # a room is a convenience: the group's choice is already saved
                log.exception("could not open or update the room of project group %s", group.id)
        for gid, prev in before.items():
            if gid not in after and gid in rooms:  # dissolved: the last member leaves, the room is archived
                try:
                    await self.rooms.remove(rooms[gid], list(prev.members))
                    await self.rooms.archive(rooms[gid])
                except Exception:
                    log.exception("could not archive the room of dissolved project group %s", gid)

    async def _new_project(self, guild_id: int, state: ProjectState, group: Group, room: int) -> None:
        """A group with a room changed its proposal: the new supervisors join, and the room is told."""
        assert self.rooms is not None and group.proposal is not None
        proposal = state.proposal(group.proposal)
        await self.rooms.add_supervisors(guild_id, room, proposal.supervisors)
        text = f"Your project is now **{proposal.title}**, supervised by {', '.join(proposal.supervisors)}."
        stamp = int(self.clock.now().timestamp() * 1000)
        async with self.uow.begin() as tx:
            await self._post(
                tx,
                guild_id,
                f"project:{group.id}:{stamp}",
                room,
                {"content": text, "embeds": [], "mentions": []},
            )
        await self.flush(scope_of(guild_id))

    async def _open_room(self, guild_id: int, state: ProjectState, group: Group) -> None:
        assert self.rooms is not None
        supervisors = state.proposal(group.proposal).supervisors if group.proposal else ()
        room = await self.rooms.open(guild_id, f"Project - {group.name}"[:100], group.members, supervisors)
        if room is None:
            return
        async with self.uow.begin() as tx:
            await tx.projects.set_room(group.id, room)
            await self._post(
                tx,
                guild_id,
                f"welcome:{group.id}:{room}",
                room,
                render.room_welcome(state, group, self.chat_text()),
            )
        await self.flush(scope_of(guild_id))

    async def _recount(self, guild_id: int, state: ProjectState) -> None:
        """Edit the proposal cards already posted so they show how many groups have taken each one."""
        try:
            stamp = int(self.clock.now().timestamp() * 1000)
            scopes = set()
            async with self.uow.begin() as tx:
                counts = await tx.projects.interest_counts(guild_id)
                for post in await tx.projects.card_posts(guild_id):
                    body = stored(render.recounted(state, message_of(post.payload), counts), target=post.key)
                    await tx.outbox.enqueue(
                        scope=post.scope,
                        key=f"recount:{post.key}:{stamp}",
                        channel_id=post.channel_id,
                        payload=body,
                        now=self.clock.now(),
                        kind="edit",
                    )
                    scopes.add(post.scope)
            for scope in scopes:
                await self.flush(scope)
        except Exception:  # the counts on old cards are a courtesy: the choice itself is saved
            log.exception("could not update the proposal cards in guild %s", guild_id)

    # --- the proposals phase -----------------------------------------------------------------------

    async def enqueue_cards(
        self, tx: Transaction, guild_id: int, channel_id: int, scope: str, key: str, at: datetime
    ) -> int:
        """Put the proposal cards into a session's outbox scope, after its phase post (same transaction)."""
        if not self.course.projects:
            return 0
        state = await tx.projects.load(guild_id, self.base)
        counts = await tx.projects.interest_counts(guild_id)
        posts = render.proposal_posts(state, counts)
        for n, body in enumerate(posts):
            await tx.outbox.enqueue(
                scope=scope,
                key=f"{key}:{n}",
                channel_id=channel_id,
                payload=body,
                now=self.clock.now(),
                not_before=at,
            )
        return len(posts)

    async def on_announce(
        self, tx: Transaction, guild_id: int, channel_id: int, phase: str, scope: str, key: str, at: datetime
    ) -> int:
        """The session hook: the proposals phase's announcement is followed by the proposal cards."""
        if phase != self.course.project_rules.phase:
            return 0
        return await self.enqueue_cards(tx, guild_id, channel_id, scope, f"cards:{key}", at)

    async def post_cards(self, guild_id: int, channel_id: int) -> int:
        """Post the proposal cards now (`/project list post:true`), e.g. outside a session."""
        self._require()
        stamp = int(self.clock.now().timestamp() * 1000)
        async with self.uow.begin() as tx:
            n = await self.enqueue_cards(
                tx, guild_id, channel_id, scope_of(guild_id), f"cards:{stamp}", self.clock.now()
            )
        await self.flush(scope_of(guild_id))
        return n

    async def export(self, guild_id: int, names: dict[int, str], students: Sequence[int]) -> dict[str, str]:
        """The CSV and Markdown export of the guild's projects."""
        return export_files(await self.state(guild_id), names, students)
