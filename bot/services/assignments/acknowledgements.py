"""The student's side of a card: showing it, Got it, refusing stale cards' buttons, the status list, the reminder."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.assignment import Assignment
from bot.core.errors import ConductorError
from bot.core.message import Mention, rich
from bot.core.statuses import LIVE, SeatStatus
from bot.messages import assignment as render
from bot.services.assignments.cards import Cards
from bot.services.assignments.model import Delivery, card_scope, scope_of
from bot.storage import assignments as store
from bot.storage import outbox
from bot.storage import sessions as sessions_store
from bot.storage.models import Acknowledgement, AssignmentRow, PostRow, SessionRow


class Acknowledgements(Cards):
    """Cards as students use them, their acknowledgements, and the one reminder."""

    async def _card_refusal(
        self, s: AsyncSession, session_id: int, user_id: int, message_id: int | None
    ) -> str | None:
        """Why a button on this card message must not act (a replaced or withdrawn card), or None."""
        if message_id is None:
            return None
        scope = card_scope(session_id, user_id)
        pressed = await s.scalar(
            select(PostRow).where(
                PostRow.scope == scope, PostRow.key.startswith("card:"), PostRow.message_id == message_id
            )
        )
        if pressed is None:
            return None  # not a DMed card (e.g. `/myrole`'s): it is rendered from the current seat
        edits = await s.scalars(
            select(PostRow)
            .where(PostRow.scope == scope, PostRow.key.startswith("card-edit:"))
            .order_by(PostRow.id)
        )
        marks = [
            e.payload["stale"]
            for e in edits
            if e.payload.get("target") == pressed.key and "stale" in e.payload
        ]
        latest = await self._latest_card(s, session_id, user_id)
        if (latest is not None and latest.key != pressed.key) or marks[-1:] == ["replaced"]:
            return (
                "This card was replaced: see your new card (the newest one in your DMs, or `/myrole`). "
                "Nothing was changed."
            )
        seated = await s.scalar(
            select(AssignmentRow.id).where(
                AssignmentRow.session_id == session_id,
                AssignmentRow.user_id == user_id,
                AssignmentRow.status == SeatStatus.CONFIRMED,
            )
        )
        if seated is None:
            return (
                "This card was withdrawn: you no longer hold a role in this session. If you are here, ask "
                "the instructor to `/roles add` you."
            )
        return None

    async def _seat_of(self, s: AsyncSession, session_id: int, user_id: int) -> tuple[SessionRow, Assignment]:
        row = await s.get(SessionRow, session_id)
        if row is None:
            raise ConductorError("That session no longer exists.")
        a = store.to_assignment(
            await store.seats(s, session_id, SeatStatus.CONFIRMED), self.papers, self.roles
        )
        if str(user_id) not in a.seats:
            raise ConductorError(
                "You have no role in this session. If you just arrived, ask the instructor to `/roles add` you."
            )
        return row, a

    async def card(self, session_id: int, user_id: int) -> render.CardInfo:
        """A student's card for a session (marks it opened)."""
        async with self.db.session() as s, s.begin():
            row, a = await self._seat_of(s, session_id, user_id)
            ack = (await store.acknowledgements(s, session_id)).get(user_id)
            if ack is not None and ack.opened_at is None:
                ack.opened_at = self.clock.now()
            return self._card(row, a, user_id)

    async def my_session(self, user_id: int, guild_id: int | None, channel_id: int | None) -> int:
        """The live session in which this student has a seat (this channel's first)."""
        async with self.db.session() as s:
            query = (
                select(SessionRow)
                .join(AssignmentRow, AssignmentRow.session_id == SessionRow.id)
                .where(
                    AssignmentRow.user_id == user_id,
                    AssignmentRow.status == SeatStatus.CONFIRMED,
                    SessionRow.status.in_(LIVE),
                )
                .order_by(SessionRow.id.desc())
            )
            if guild_id is not None:
                query = query.where(SessionRow.guild_id == guild_id)
            rows = list(await s.scalars(query))
        if not rows:
            raise ConductorError(
                "You have no role in a running session yet. Roles appear once the instructor confirms `/assign`."
            )
        for r in rows:
            if r.channel_id == channel_id:
                return r.id
        return rows[0].id

    async def card_refusal(self, session_id: int, user_id: int, message_id: int | None) -> str | None:
        """Why a button pressed on this card message must not act (replaced or withdrawn), or None."""
        async with self.db.session() as s:
            return await self._card_refusal(s, session_id, user_id, message_id)

    async def acknowledge(self, session_id: int, user_id: int, message_id: int | None = None) -> str:
        """The student pressed Got it (on the card `message_id`; a replaced card changes nothing)."""
        async with self.db.session() as s, s.begin():
            refusal = await self._card_refusal(s, session_id, user_id, message_id)
            if refusal is not None:
                return refusal
            await self._seat_of(s, session_id, user_id)
            ack = (await store.acknowledgements(s, session_id)).get(user_id)
            if ack is None:
                ack = Acknowledgement(session_id=session_id, user_id=user_id, delivery=Delivery.DM)
                s.add(ack)
            now = self.clock.now()
            if ack.acknowledged_at is not None:
                return "Already noted: you have your role. See it again any time with `/myrole`."
            ack.acknowledged_at = now
            ack.opened_at = ack.opened_at or now
        return "Got it: your teacher can see you have your role. Good reading!"

    async def status(self, guild_id: int, channel_id: int) -> list[render.StatusLine]:
        """Every seated student's card delivery and acknowledgement."""
        async with self.db.session() as s:
            row = await self._live(s, guild_id, channel_id)
            a = await self._confirmed(s, row.id)
            acks = await store.acknowledgements(s, row.id)
        lines = []
        for student, seat in a.seats.items():
            ack = acks.get(int(student))
            label = f"{self.course.role(seat.role).name}, {self.course.paper(seat.paper).title}"
            lines.append(
                render.StatusLine(
                    int(student),
                    label,
                    ack.delivery if ack else Delivery.PENDING,
                    ack.acknowledged_at if ack else None,
                )
            )
        return lines

    async def remind(self, session_id: int) -> None:
        """Once, after `ack_reminder`: nudge students who have not pressed Got it."""
        now = self.clock.now()
        async with self.db.session() as s, s.begin():
            row = await s.get(SessionRow, session_id)
            if row is None or row.status not in LIVE:
                return
            acks = await store.acknowledgements(s, session_id)
            threads = {k: t.thread_id for k, t in (await store.threads(s, session_id)).items()}
            a = store.to_assignment(
                await store.seats(s, session_id, SeatStatus.CONFIRMED), self.papers, self.roles
            )
            scopes = []
            for uid, ack in sorted(acks.items()):
                if ack.acknowledged_at is not None or ack.reminded_at is not None or str(uid) not in a.seats:
                    continue
                ack.reminded_at = now
                text = "Reminder: please read your role card and press **Got it** (or use `/myrole`)."
                match ack.delivery:
                    case Delivery.DM:
                        scope = card_scope(session_id, uid)
                        await outbox.enqueue(
                            s,
                            scope=scope,
                            key=f"remind:{int(now.timestamp())}",
                            channel_id=uid,
                            payload=render.change_post([], text, row.created_by),
                            now=now,
                            kind="dm",
                        )
                    case _:  # a ping where they were reached (or would have been)
                        scope = scope_of(session_id)
                        thread = threads.get(f"group:{a.seats[str(uid)].paper}", row.channel_id)
                        await outbox.enqueue(
                            s,
                            scope=scope,
                            key=f"remind:{uid}:{int(now.timestamp())}",
                            channel_id=thread,
                            payload=render.change_post([uid], rich(Mention(uid), " ", text), row.created_by),
                            now=now,
                        )
                scopes.append(scope)
        await asyncio.gather(*(self.flush(sc) for sc in sorted(set(scopes))))

    async def rebuild(self) -> None:
        """At start-up: set the reminder timer again for live sessions with unacknowledged cards."""
        await self.finish_cards()
        async with self.db.session() as s:
            for row in await sessions_store.all_live(s, self.owns):
                acks = await store.acknowledgements(s, row.id)
                waiting = [a for a in acks.values() if a.acknowledged_at is None and a.reminded_at is None]
                if waiting:
                    first = min((a.delivered_at or self.clock.now()) for a in waiting)
                    self.scheduler.at(
                        f"ack-reminder:{row.id}", first + self.course.ack_reminder, self.remind, row.id
                    )
