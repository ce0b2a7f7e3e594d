"""Role cards on their way: written to the outbox, fanned out by DM, settled, pinged where DMs are closed, edited in place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.core.assignment import Assignment
from bot.core.changes import Affected
from bot.core.permissions import ConfirmPlan
from bot.core.statuses import Delivery, PostKind, PostStatus, StepStatus
from bot.messages import assignment as render
from bot.messages import changes as render_changes
from bot.messages.outbox import keep_actions
from bot.services.assignments.base import ServiceBase
from bot.services.assignments.model import REPORT, card_scope, scope_of
from bot.services.assignments.ports import PlatformFailed, described
from bot.services.ports import AcknowledgementRecord, PostRecord, SessionRecord, Transaction

log = logging.getLogger(__name__)


# DM channels are opened this many at a time (each card is sent as soon as its channel is open). Opening
# is limited to a few per window; discord.py learns the window from each response's headers, and a crowd
# of concurrent openers spoils that count (it sleeps out whole windows with tokens unused), so a short
# queue keeps the opener at the limit while the cards themselves go out side by side.
DM_OPENS_AT_ONCE = 1


class Cards(ServiceBase):
    """Writes, delivers and settles role cards; fallbacks for closed DMs; in-place card edits."""

    async def _latest_card(self, tx: Transaction, session_id: int, user_id: int) -> PostRecord | None:
        """A student's newest role-card post in this session (keys "card:1", "card:2", ...), if any."""
        scope = card_scope(session_id, user_id)
        keys = await tx.outbox.keys(scope, "card:")
        if not keys:
            return None
        return await tx.outbox.find(scope, max(keys, key=lambda k: int(k.split(":")[1])))

    async def _edit_cards(
        self, tx: Transaction, row: SessionRecord, new: Assignment, changes: Affected
    ) -> None:
        """Edit, in place, the DMed cards a change makes wrong: other partners now, replaced, or withdrawn."""
        edits: list[tuple[int, dict[str, Any]]] = []
        for student in changes.refreshed:
            uid = int(student)
            card = self._card(row, new, uid)
            content = (
                f"Your role for today's reading group: **{card.role.name}** on **{card.paper.title}**. "
                "(Updated: your role-partners changed.)"
            )
            edits.append((uid, render.card_post(card, content)))
        # A stale card is marked so in the same transaction as the seats: its buttons stop acting at once,
        # before the edit (or the new card) reaches Discord.
        for student in changes.withdrawn:
            edits.append((int(student), {**render_changes.withdrawn_card(None), "stale": "withdrawn"}))
        for student in changes.new_cards:
            edits.append((int(student), {**render_changes.replaced_card(None), "stale": "replaced"}))
        now = self.clock.now()
        for uid, body in edits:
            target = await self._latest_card(tx, row.id, uid)
            if target is None:
                continue  # never had a card (a late arrival): the new card is all there is
            # A stale card keeps its buttons: they say why they no longer act.
            keep_actions(body, target.payload)
            body["target"] = target.key
            scope = card_scope(row.id, uid)
            n = len(await tx.outbox.keys(scope, "card-edit:")) + 1
            await tx.outbox.enqueue(
                scope=scope,
                key=f"card-edit:{n}",
                channel_id=uid,
                payload=body,
                now=now,
                kind=PostKind.DM_EDIT,
            )

    async def _enqueue_cards(
        self, tx: Transaction, row: SessionRecord, a: Assignment, users: list[int]
    ) -> dict[int, str]:
        """Write each student's card into their own outbox scope; returns user -> card post key."""
        keys: dict[int, str] = {}
        for uid in users:
            scope = card_scope(row.id, uid)
            key = f"card:{len(await tx.outbox.keys(scope, 'card:')) + 1}"
            await tx.outbox.enqueue(
                scope=scope,
                key=key,
                channel_id=uid,
                payload=render.card_post(self._card(row, a, uid)),
                now=self.clock.now(),
                kind=PostKind.DM,
            )
            keys[uid] = key
        return keys

    async def _fan_out(self, row: SessionRecord, keys: Mapping[int, str]) -> None:
        """Deliver the cards side by side (a DM channel opened just before each card)."""
        gate = asyncio.Semaphore(DM_OPENS_AT_ONCE)

        async def deliver(uid: int) -> None:
            async with gate:
                try:
                    await self.threads.open_dm(uid)
                except (PlatformFailed, OSError) as error:  # the card's own delivery retries
                    log.warning("could not open a DM channel with %s: %s", uid, described(error))
            await self.flush(card_scope(row.id, uid))

        await asyncio.gather(*(deliver(uid) for uid in keys))

    async def _send_cards(
        self, row: SessionRecord, a: Assignment, users: list[int], threads: Mapping[str, int], actor_id: int
    ) -> tuple[int, int, int, int]:
        """DM each student their card, side by side; a refused DM becomes a ping in their group thread."""
        async with self.uow.begin() as tx:
            keys = await self._enqueue_cards(tx, row, a, users)
        await self._fan_out(row, keys)
        plan = self.threads.plan(row.channel_id)
        return await self._settle_cards(row, a, keys, threads, actor_id, plan)

    async def _settle_cards(
        self,
        row: SessionRecord,
        a: Assignment,
        keys: Mapping[int, str],
        threads: Mapping[str, int],
        actor_id: int,
        plan: ConfirmPlan | None = None,
    ) -> tuple[int, int, int, int]:
        """Record how each card went (`keys`: user -> card post key); a refused DM becomes a ping.

        The ping goes to the student's group room, or to the class channel while the room is not open; when
        `plan` says the class channel cannot be posted in either, the student is recorded as unreached.
        """
        users = list(keys)
        sent = fallbacks = failed = pending = 0
        scope = scope_of(row.id)
        async with self.uow.begin() as tx:
            acks = await tx.acknowledgements.of_session(row.id)
            for uid in users:
                post = await tx.outbox.find(card_scope(row.id, uid), keys[uid])
                ack = acks.get(uid) or AcknowledgementRecord(uid, Delivery.PENDING)
                if post is None or post.status == PostStatus.PENDING:
                    await tx.acknowledgements.save(row.id, ack)
                    pending += 1
                    continue
                if post.status == PostStatus.SENT:
                    await tx.acknowledgements.save(
                        row.id, replace(ack, delivery=Delivery.DM, delivered_at=post.sent_at)
                    )
                    sent += 1
                    continue
                seat = a.seats[str(uid)]
                where = threads.get(f"group:{seat.paper}")
                if where is None and plan is not None and not plan.posts:
                    await tx.acknowledgements.save(row.id, replace(ack, delivery=Delivery.FAILED))
                    failed += 1
                    continue
                where = where or row.channel_id
                await tx.acknowledgements.save(row.id, replace(ack, delivery=Delivery.FALLBACK))
                fallbacks += 1
                await tx.outbox.enqueue(
                    scope=scope,
                    key=f"fallback:{uid}:{keys[uid]}",
                    channel_id=where,
                    payload=render.fallback_post(row.id, uid, actor_id),
                    now=self.clock.now(),
                )
        await self.flush(scope)
        async with self.uow.begin() as tx:
            acks = await tx.acknowledgements.of_session(row.id)
            for uid in users:
                post = await tx.outbox.find(scope, f"fallback:{uid}:{keys[uid]}")
                if post is not None and post.status == PostStatus.FAILED and uid in acks:
                    await tx.acknowledgements.save(row.id, replace(acks[uid], delivery=Delivery.FAILED))
                    fallbacks -= 1
                    failed += 1
        return sent, fallbacks, failed, pending

    async def _reach_unreached(
        self, row: SessionRecord, a: Assignment, threads: Mapping[str, int], plan: ConfirmPlan, actor_id: int
    ) -> None:
        """Students no card or ping reached: ping them now in their group room (or the class channel)."""
        scope = scope_of(row.id)
        tried: dict[int, str] = {}
        async with self.uow.begin() as tx:
            for uid, ack in (await tx.acknowledgements.of_session(row.id)).items():
                if ack.delivery != Delivery.FAILED or str(uid) not in a.seats:
                    continue
                where = threads.get(f"group:{a.seats[str(uid)].paper}")
                if where is None and not plan.posts:
                    continue
                key = f"fallback:{uid}:retry:{len(await tx.outbox.keys(scope, f'fallback:{uid}:')) + 1}"
                await tx.outbox.enqueue(
                    scope=scope,
                    key=key,
                    channel_id=where or row.channel_id,
                    payload=render.fallback_post(row.id, uid, actor_id),
                    now=self.clock.now(),
                )
                tried[uid] = key
        if not tried:
            return
        await self.flush(scope)
        async with self.uow.begin() as tx:
            acks = await tx.acknowledgements.of_session(row.id)
            for uid, key in tried.items():
                post = await tx.outbox.find(scope, key)
                if post is not None and post.status == PostStatus.SENT:
                    await tx.acknowledgements.save(row.id, replace(acks[uid], delivery=Delivery.FALLBACK))

    async def _pending_cards(self, tx: Transaction, session_id: int, a: Assignment) -> dict[int, str]:
        """Students whose card's fate is not recorded yet, with their latest card's outbox key."""
        acks = await tx.acknowledgements.of_session(session_id)
        keys = {}
        for uid, ack in acks.items():
            if ack.delivery != Delivery.PENDING or str(uid) not in a.seats:
                continue
            cards = await tx.outbox.keys(card_scope(session_id, uid), "card:")
            if cards:
                keys[uid] = max(cards, key=lambda k: int(k.split(":")[1]))
        return keys

    async def finish_cards(self) -> None:
        """At start-up: a card fan-out that a crash cut short is finished (cards sent, or fallbacks)."""
        todo = []
        async with self.uow.read() as tx:
            resumed = set(await tx.steps.sessions_with(REPORT, StepStatus.PENDING))
            for row in await tx.sessions.all_live(self.owns):
                if row.id in resumed:  # a confirm cut short: `resume` finishes it once connected
                    continue
                a = await self._seated(tx, row.id)
                keys = await self._pending_cards(tx, row.id, a)
                if not keys:
                    continue
                threads = await tx.seats.threads(row.id)
                todo.append((row, a, keys, threads))
        for row, a, keys, threads in todo:
            log.info("session %s: finishing the role-card fan-out for %d student(s)", row.id, len(keys))
            await asyncio.gather(*(self.flush(card_scope(row.id, uid)) for uid in keys))
            await self._settle_cards(row, a, keys, threads, row.created_by)
