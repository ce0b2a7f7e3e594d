"""Recording a change of seats (acknowledgements reset, cards edited, the table) and telling the rooms it touched."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from bot.core.assignment import Assignment
from bot.core.changes import affected
from bot.core.statuses import Delivery, PostKind
from bot.messages import assignment as render
from bot.messages import changes as render_changes
from bot.services.assignments.cards import Cards
from bot.services.assignments.model import ClassList, card_scope, scope_of
from bot.services.ports import AcknowledgementRecord, SessionRecord, Transaction


class Changes(Cards):
    """What every change of seats writes, and the notices to the rooms it touched."""

    async def _record_change(
        self,
        tx: Transaction,
        row: SessionRecord,
        old: Assignment,
        new: Assignment,
        roster: ClassList,
        actor_id: int,
        table: bool = True,
    ) -> list[int]:
        """Reset acknowledgements of students whose seat changed; write the card edits, the table or its edit.

        The table is written only with `table`. The seated students' display names are stored too, so
        exports need no live Discord connection.
        """
        changes = affected(old.seats, new.seats)
        changed = sorted(int(u) for u in changes.new_cards)
        await self._edit_cards(tx, row, new, changes)
        seated = {int(u): roster.students[int(u)] for u in new.seats if int(u) in roster.students}
        await tx.names.remember(row.guild_id, seated, self.clock.now())
        for uid in changed:  # a new card needs a new Got it
            await tx.acknowledgements.save(row.id, AcknowledgementRecord(uid, Delivery.PENDING))
        await tx.acknowledgements.keep_only(row.id, {int(u) for u in new.seats})
        if not table:  # Confirm posts the table last, once it knows what happened (`_post_table`)
            return changed
        names = dict(roster.students)
        scope = scope_of(row.id)
        tables = sorted(await tx.outbox.keys(scope, "table"))
        table_keys = [k for k in tables if k.startswith("table:")]
        now = self.clock.now()
        if not table_keys:
            body = render.table_post(new, self.course, names, actor_id)
            await tx.outbox.enqueue(
                scope=scope, key="table:1", channel_id=row.channel_id, payload=body, now=now
            )
        else:
            body = render.table_post(new, self.course, names, actor_id, edited=True)
            body["target"] = table_keys[-1]
            edits = len([k for k in tables if k.startswith("table-edit:")])
            await tx.outbox.enqueue(
                scope=scope,
                key=f"table-edit:{edits + 1}",
                channel_id=row.channel_id,
                payload=body,
                now=now,
                kind=PostKind.EDIT,
            )
        return changed

    async def _tell_groups(
        self,
        row: SessionRecord,
        old: Assignment,
        new: Assignment,
        roster: ClassList,
        threads: Mapping[str, int],
        actor_id: int,
    ) -> tuple[str, ...]:
        """In every group and partner thread a move touched: what changed, pinging everyone in it now.

        Also delivers the in-place edits of role cards that `_record_change` decided (refreshed partners,
        withdrawn cards); replaced cards go out with the new ones.
        """
        if not old.seats:
            return ()
        changes = affected(old.seats, new.seats)
        scope = scope_of(row.id)
        async with self.uow.begin() as tx:
            n = len(await tx.outbox.keys(scope, "notice:"))
            for notice in changes.notices:
                thread = threads.get(notice.key)
                if thread is None:
                    continue
                n += 1
                await tx.outbox.enqueue(
                    scope=scope,
                    key=f"notice:{n}",
                    channel_id=thread,
                    payload=render_changes.notice_post(notice, self.course, roster.students, actor_id),
                    now=self.clock.now(),
                )
        edited = sorted({int(u) for u in (*changes.refreshed, *changes.withdrawn)})
        await asyncio.gather(self.flush(scope), *(self.flush(card_scope(row.id, u)) for u in edited))
        told = sum(1 for notice in changes.notices if notice.key in threads)
        if not told and not changes.refreshed:
            return ()
        return (
            f"{told} thread(s) told, pinging everyone in them; {len(changes.refreshed)} other card(s) "
            "updated in place with their current partners.",
        )
