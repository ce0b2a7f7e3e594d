"""Project groups in the database (`ProjectRepository`): a guild's state read into the core's objects, a new
state written back, rooms, interest.

Writing is a diff of the old and the new state. Seats and places are numbered (1..max), and unique
constraints forbid two rows on one number, so two transactions that both saw the last free place
cannot both take it on any database: the second insert fails and the service answers its user.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.projects import Group, OwnProposal, OwnStatus, ProjectState
from bot.core.statuses import PostStatus
from bot.services.ports import PostRecord
from bot.storage.models import (
    PostRow,
    ProjectGroupRow,
    ProjectInterestRow,
    ProjectMemberRow,
    ProjectPlaceRow,
    SessionRow,
)
from bot.storage.outbox import post_record


async def load(s: AsyncSession, guild_id: int, base: ProjectState) -> ProjectState:
    """The guild's groups on top of the configured proposals and rules."""
    rows = list(
        await s.scalars(
            select(ProjectGroupRow).where(ProjectGroupRow.guild_id == guild_id).order_by(ProjectGroupRow.id)
        )
    )
    members: defaultdict[int, list[ProjectMemberRow]] = defaultdict(list)
    for m in await s.scalars(select(ProjectMemberRow).where(ProjectMemberRow.guild_id == guild_id)):
        members[m.group_id].append(m)
    places = {
        p.group_id: p.proposal_key
        for p in await s.scalars(select(ProjectPlaceRow).where(ProjectPlaceRow.guild_id == guild_id))
    }
    groups = []
    for r in rows:
        own = None
        if r.own_status is not None:
            own = OwnProposal(
                r.own_title or "", r.own_abstract or "", OwnStatus(r.own_status), r.own_reason or ""
            )
        seated = tuple(m.user_id for m in sorted(members[r.id], key=lambda m: (m.joined_at, m.seat_no)))
        groups.append(Group(r.id, r.name, r.code, seated, places.get(r.id), own))
    return ProjectState(base.proposals, base.rules, tuple(groups))


async def threads(s: AsyncSession, guild_id: int) -> dict[int, int]:
    """Each group's room (thread id), for groups that have one."""
    rows = await s.execute(
        select(ProjectGroupRow.id, ProjectGroupRow.thread_id).where(
            ProjectGroupRow.guild_id == guild_id, ProjectGroupRow.thread_id.is_not(None)
        )
    )
    return {gid: tid for gid, tid in rows.all() if tid is not None}


async def set_thread(s: AsyncSession, group_id: int, thread_id: int) -> None:
    """Remember a group's room."""
    row = await s.get(ProjectGroupRow, group_id)
    if row is not None:
        row.thread_id = thread_id


async def save(
    s: AsyncSession, guild_id: int, old: ProjectState, new: ProjectState, actor: int, now: datetime
) -> dict[int, int]:
    """Write what changed from `old` to `new`; returns the ids given to new groups (0 -> id)."""
    before = {g.id: g for g in old.groups}
    after = {g.id: g for g in new.groups}
    ids: dict[int, int] = {}
    for gid in before.keys() - after.keys():  # dissolved: members, place and room go with it
        await s.execute(delete(ProjectGroupRow).where(ProjectGroupRow.id == gid))
    for gid, group in after.items():
        prev = before.get(gid)
        if prev is None:
            row = ProjectGroupRow(
                guild_id=guild_id,
                name=group.name,
                name_key=group.name.casefold(),
                code=group.code,
                created_by=actor,
                created_at=now,
            )
            s.add(row)
            await s.flush()
            ids[gid] = row.id
            gid = row.id
            prev = Group(gid, group.name, group.code, ())
        gone = set(prev.members) - set(group.members)
        if gone:
            await s.execute(
                delete(ProjectMemberRow).where(
                    ProjectMemberRow.group_id == gid, ProjectMemberRow.user_id.in_(gone)
                )
            )
            await s.flush()
        added = [u for u in group.members if u not in prev.members]
        if added:
            taken = set(
                await s.scalars(select(ProjectMemberRow.seat_no).where(ProjectMemberRow.group_id == gid))
            )
            # When none is free (another transaction got there first), aim at a taken one: the unique
            # constraint then refuses the insert and the service tries again on the new state.
            free = (n for n in range(1, new.rules.max_size + 1) if n not in taken)
            for user in added:
                # A student moved by an instructor leaves their old group in the same transaction.
                await s.execute(
                    delete(ProjectMemberRow).where(
                        ProjectMemberRow.guild_id == guild_id, ProjectMemberRow.user_id == user
                    )
                )
                s.add(
                    ProjectMemberRow(
                        group_id=gid,
                        guild_id=guild_id,
                        user_id=user,
                        seat_no=next(free, new.rules.max_size),
                        joined_at=now,
                    )
                )
            await s.flush()
        if group.proposal != prev.proposal:
            await s.execute(delete(ProjectPlaceRow).where(ProjectPlaceRow.group_id == gid))
            await s.flush()
            if group.proposal is not None:
                limit = new.proposal(group.proposal).max_groups
                held = set(
                    await s.scalars(
                        select(ProjectPlaceRow.place_no).where(
                            ProjectPlaceRow.guild_id == guild_id,
                            ProjectPlaceRow.proposal_key == group.proposal,
                        )
                    )
                )
                place_no = next((n for n in range(1, limit + 1) if n not in held), limit)  # taken: refused
                s.add(
                    ProjectPlaceRow(
                        group_id=gid,
                        guild_id=guild_id,
                        proposal_key=group.proposal,
                        place_no=place_no,
                        chosen_by=actor,
                        chosen_at=now,
                    )
                )
                await s.flush()
        if group.own != prev.own:
            stored = await s.get(ProjectGroupRow, gid)
            assert stored is not None
            own = group.own
            stored.own_title = own.title if own else None
            stored.own_abstract = own.abstract if own else None
            stored.own_status = own.status.value if own else None
            stored.own_reason = own.reason if own else None
    return ids


async def interest(s: AsyncSession, guild_id: int, key: str, user_id: int, now: datetime) -> bool:
    """Record a student's interest in a proposal; False when it was recorded already."""
    exists = await s.scalar(
        select(ProjectInterestRow.id).where(
            ProjectInterestRow.guild_id == guild_id,
            ProjectInterestRow.proposal_key == key,
            ProjectInterestRow.user_id == user_id,
        )
    )
    if exists is not None:
        return False
    s.add(ProjectInterestRow(guild_id=guild_id, proposal_key=key, user_id=user_id, at=now))
    return True


async def interest_counts(s: AsyncSession, guild_id: int) -> dict[str, int]:
    """How many students said they are interested in each proposal."""
    counts: defaultdict[str, int] = defaultdict(int)
    for key in await s.scalars(
        select(ProjectInterestRow.proposal_key).where(ProjectInterestRow.guild_id == guild_id)
    ):
        counts[key] += 1
    return dict(counts)


async def card_posts(s: AsyncSession, guild_id: int) -> list[PostRow]:
    """The proposal-card posts delivered in a guild (by `/project list post` or with a session's phase)."""
    sessions = await s.scalars(select(SessionRow.id).where(SessionRow.guild_id == guild_id))
    scopes = [f"projects:{guild_id}", *(f"session:{i}" for i in sessions)]
    query = select(PostRow).where(
        PostRow.scope.in_(scopes),
        PostRow.key.startswith("cards:"),
        PostRow.status == PostStatus.SENT,
        PostRow.kind == "send",
    )
    return list(await s.scalars(query.order_by(PostRow.id)))


class SqlProjects:
    """`ProjectRepository` over the project tables."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def load(self, guild_id: int, base: ProjectState) -> ProjectState:
        """The guild's groups on top of the configured proposals and rules."""
        return await load(self.s, guild_id, base)

    async def save(
        self, guild_id: int, old: ProjectState, new: ProjectState, actor: int, now: datetime
    ) -> None:
        """Write what changed from `old` to `new`."""
        await save(self.s, guild_id, old, new, actor, now)

    async def rooms(self, guild_id: int) -> dict[int, int]:
        """Each group's room, for groups that have one."""
        return await threads(self.s, guild_id)

    async def set_room(self, group_id: int, room_id: int) -> None:
        """Remember a group's room."""
        await set_thread(self.s, group_id, room_id)

    async def interest(self, guild_id: int, key: str, user_id: int, now: datetime) -> bool:
        """Record a student's interest in a proposal; False when it was recorded already."""
        return await interest(self.s, guild_id, key, user_id, now)

    async def interest_counts(self, guild_id: int) -> dict[str, int]:
        """How many students said they are interested in each proposal."""
        return await interest_counts(self.s, guild_id)

    async def card_posts(self, guild_id: int) -> list[PostRecord]:
        """The proposal-card posts delivered in a guild."""
        return [post_record(r) for r in await card_posts(self.s, guild_id)]
