"""The student's side of a card: showing it, Got it, refusing stale cards' buttons, the status list, the reminder."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.core.assignment import Assignment
from bot.core.errors import ConductorError
from bot.core.message import Mention, rich
from bot.core.statuses import LIVE, Delivery, PostKind
from bot.messages import assignment as render
from bot.services.assignments.cards import Cards
from bot.services.assignments.model import card_scope, scope_of
from bot.services.ports import AcknowledgementRecord, SessionRecord, Transaction


class Acknowledgements(Cards):
    """Cards as students use them, their acknowledgements, and the one reminder."""

    async def _card_refusal(
        self, tx: Transaction, session_id: int, user_id: int, message_id: int | None
    ) -> str | None:
        """Why a button on this card message must not act (a replaced or withdrawn card), or None."""
        if message_id is None:
            return None
        scope = card_scope(session_id, user_id)
        pressed = await tx.outbox.by_message(scope, message_id, "card:")
        if pressed is None:
            return None  # not a DMed card (e.g. `/myrole`'s): it is rendered from the current seat
        edits = await tx.outbox.posts(scope, "card-edit:")
        marks = [
            e.payload["stale"]
            for e in edits
            if e.payload.get("target") == pressed.key and "stale" in e.payload
        ]
        latest = await self._latest_card(tx, session_id, user_id)
        if (latest is not None and latest.key != pressed.key) or marks[-1:] == ["replaced"]:
            return (
                "This card was replaced: see your new card (the newest one in your DMs, or `/myrole`). "
                "Nothing was changed."
            )
        if await tx.seats.seat(session_id, user_id) is None:
            return (
                "This card was withdrawn: you no longer hold a role in this session. If you are here, ask "
                "the instructor to `/roles add` you."
            )
        return None

    async def _seat_of(
        self, tx: Transaction, session_id: int, user_id: int
    ) -> tuple[SessionRecord, Assignment]:
        row = await tx.sessions.get(session_id)
        if row is None:
            raise ConductorError("That session no longer exists.")
        a = await self._seated(tx, session_id)
        if str(user_id) not in a.seats:
            raise ConductorError(
                "You have no role in this session. If you just arrived, ask the instructor to `/roles add` you."
            )
        return row, a

    async def card(self, session_id: int, user_id: int) -> render.CardInfo:
        """A student's card for a session (marks it opened)."""
        async with self.uow.begin() as tx:
            row, a = await self._seat_of(tx, session_id, user_id)
            ack = (await tx.acknowledgements.of_session(session_id)).get(user_id)
            if ack is not None and ack.opened_at is None:
                await tx.acknowledgements.save(session_id, replace(ack, opened_at=self.clock.now()))
            return self._card(row, a, user_id)

    async def my_session(self, user_id: int, guild_id: int | None, channel_id: int | None) -> int:
        """The live session in which this student has a seat (this channel's first)."""
        async with self.uow.read() as tx:
            rows = await tx.seats.live_sessions_of(user_id, guild_id)
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
        async with self.uow.read() as tx:
            return await self._card_refusal(tx, session_id, user_id, message_id)

    async def acknowledge(self, session_id: int, user_id: int, message_id: int | None = None) -> str:
        """The student pressed Got it (on the card `message_id`; a replaced card changes nothing)."""
        async with self.uow.begin() as tx:
            refusal = await self._card_refusal(tx, session_id, user_id, message_id)
            if refusal is not None:
                return refusal
            await self._seat_of(tx, session_id, user_id)
            ack = (await tx.acknowledgements.of_session(session_id)).get(user_id)
            if ack is None:
                ack = AcknowledgementRecord(user_id, Delivery.DM)
            now = self.clock.now()
            if ack.acknowledged_at is not None:
                return "Already noted: you have your role. See it again any time with `/myrole`."
            await tx.acknowledgements.save(
                session_id, replace(ack, acknowledged_at=now, opened_at=ack.opened_at or now)
            )
        return "Got it: your teacher can see you have your role. Good reading!"

    async def status(self, guild_id: int, channel_id: int) -> list[render.StatusLine]:
        """Every seated student's card delivery and acknowledgement."""
        async with self.uow.read() as tx:
            row = await self._live(tx, guild_id, channel_id)
            a = await self._confirmed(tx, row.id)
            acks = await tx.acknowledgements.of_session(row.id)
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
        async with self.uow.begin() as tx:
            row = await tx.sessions.get(session_id)
            if row is None or row.status not in LIVE:
                return
            acks = await tx.acknowledgements.of_session(session_id)
            threads = await tx.seats.threads(session_id)
            a = await self._seated(tx, session_id)
            scopes = []
            for uid, ack in sorted(acks.items()):
                if ack.acknowledged_at is not None or ack.reminded_at is not None or str(uid) not in a.seats:
                    continue
                await tx.acknowledgements.save(session_id, replace(ack, reminded_at=now))
                text = "Reminder: please read your role card and press **Got it** (or use `/myrole`)."
                match ack.delivery:
                    case Delivery.DM:
                        scope = card_scope(session_id, uid)
                        await tx.outbox.enqueue(
                            scope=scope,
                            key=f"remind:{int(now.timestamp())}",
                            channel_id=uid,
                            payload=render.change_post([], text, row.created_by),
                            now=now,
                            kind=PostKind.DM,
                        )
                    case _:  # a ping where they were reached (or would have been)
                        scope = scope_of(session_id)
                        thread = threads.get(f"group:{a.seats[str(uid)].paper}", row.channel_id)
                        await tx.outbox.enqueue(
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
        async with self.uow.read() as tx:
            for row in await tx.sessions.all_live(self.owns):
                acks = await tx.acknowledgements.of_session(row.id)
                waiting = [a for a in acks.values() if a.acknowledged_at is None and a.reminded_at is None]
                if waiting:
                    first = min((a.delivered_at or self.clock.now()) for a in waiting)
                    self.timers.at(
                        f"ack-reminder:{row.id}", first + self.course.ack_reminder, self.remind, row.id
                    )
