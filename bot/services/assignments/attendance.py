"""Attendance: the check-in post and students pressing I'm here."""

from __future__ import annotations

from bot.core.errors import ConductorError
from bot.core.permissions import grant
from bot.core.statuses import LIVE, PostStatus, SeatStatus
from bot.messages import assignment as render
from bot.services.assignments.base import ServiceBase
from bot.services.assignments.model import scope_of


class Attendance(ServiceBase):
    """Posts the check-in and records who pressed it."""

    async def post_checkin(self, guild_id: int, channel_id: int, actor_id: int) -> str:
        """Post an "I'm here" message in the session's channel; `/assign` then seats only those who press it."""
        async with self.uow.begin() as tx:
            row = await self._live(tx, guild_id, channel_id)
            scope = scope_of(row.id)
            n = len(await tx.outbox.keys(scope, "checkin:")) + 1
            await tx.outbox.enqueue(
                scope=scope,
                key=f"checkin:{n}",
                channel_id=row.channel_id,
                payload=render.checkin_post(row.id, actor_id),
                now=self.clock.now(),
            )
            present = len(await tx.checkins.present(row.id))
        await self.flush(scope)
        async with self.uow.read() as tx:
            post = await tx.outbox.find(scope, f"checkin:{n}")
        if post is not None and post.status == PostStatus.PENDING:
            return "The check-in is on its way: Discord is slow to take it, and I keep trying."
        if post is not None and post.status == PostStatus.FAILED:
            plan = self.threads.plan(row.channel_id)
            why = f"grant {grant(plan.posts_grant)} there" if plan.posts_grant else "Discord kept failing"
            return (
                f"I could not post the check-in in {self.threads.where(row.channel_id)}: {why}, then run "
                "`/checkin` again. Until students can check in, `/assign` seats every member with the "
                f"**{self.course.student_role}** role."
            )
        return (
            f"Posted the check-in ({present} checked in so far). `/assign` now seats only the students "
            "who press **I'm here**; run it once everyone has."
        )

    async def check_in(self, session_id: int, user_id: int) -> str:
        """A student pressed "I'm here" (pressing again changes nothing)."""
        async with self.uow.begin() as tx:
            row = await tx.sessions.get(session_id)
            if row is None or row.status not in LIVE:
                raise ConductorError("This check-in is closed: the session is over.")
            if user_id in await tx.checkins.present(session_id):
                return "You are already checked in."
            await tx.checkins.add(session_id, user_id, self.clock.now())
            seated = await tx.seats.of_status(session_id, SeatStatus.CONFIRMED)
        if seated and all(r.user_id != user_id for r in seated):
            return (
                "Checked in. Roles are already handed out: tell the instructor you are here so they can "
                "`/roles add` you."
            )
        return "Checked in: you will get a paper and a role when the instructor assigns them."
