"""What a confirm or an edit did, counted: `Outcome`, `Report`, and the tally that counts it from the database."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import ConductorError
from bot.core.permissions import grant, permission_label
from bot.core.statuses import Delivery, PostStatus, StepStatus
from bot.services.assignments.base import ServiceBase
from bot.services.assignments.model import TABLE, ClassList, room_key, scope_of


@dataclass(frozen=True)
class Outcome:
    """What a confirm or edit did, for the instructor's answer."""

    cards_sent: int = 0
    fallbacks: int = 0
    failed: int = 0
    pending: int = 0
    threads_created: int = 0
    public_fallback: bool = False
    notes: tuple[str, ...] = ()
    table_updated: bool = True  # the class table shows the change (False: it could not be posted)

    def summary(self) -> str:
        """A line for the instructor."""
        parts = [f"{self.cards_sent} role card(s) DMed"]
        if self.fallbacks:
            parts.append(f"{self.fallbacks} student(s) with closed DMs pinged in their group thread")
        if self.failed:
            parts.append(f"{self.failed} card(s) could not be delivered")
        if self.pending:
            parts.append(f"{self.pending} card(s) still being retried")
        if self.threads_created:
            parts.append(f"{self.threads_created} thread(s) opened")
        text = "; ".join(parts) + "."
        if self.public_fallback:
            text += (
                " I lack **Create Private Threads** in this channel, so the threads are **public**: grant "
                "it to keep group threads private next time."
            )
        return " ".join([text, *self.notes])


@dataclass(frozen=True)
class Report:
    """What a confirm actually did, counted from the database: for the instructor and the class table."""

    where: str  # the class channel, as a mention
    students: int
    dm: int = 0  # cards delivered by DM
    in_rooms: int = 0  # closed DMs: pinged with a Show my role button in their group room
    in_channel: int = 0  # closed DMs, room not open: pinged in the class channel
    unreached: tuple[int, ...] = ()  # no card and nowhere to ping them
    on_the_way: int = 0  # cards still being retried
    rooms_open: int = 0
    rooms_total: int = 0
    rooms_public: bool = False
    rooms_grant: tuple[str, ...] = ()  # what to grant for the rooms that are not open (when refused)
    table: StepStatus = StepStatus.PENDING
    table_grant: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        """Whether nothing is left to do (all rooms open, the table posted, every student reached)."""
        return (
            self.rooms_open == self.rooms_total
            and self.table == StepStatus.DONE
            and not self.unreached
            and not self.on_the_way
        )

    def _cards(self) -> str:
        parts = [f"{self.dm} of {self.students} role cards sent by DM"]
        if self.in_rooms:
            parts.append(f"{self.in_rooms} student(s) with closed DMs pinged in their group room")
        if self.in_channel:
            parts.append(
                f"{self.in_channel} student(s) with closed DMs pinged in {self.where} (their room is not open)"
            )
        if self.on_the_way:
            parts.append(f"{self.on_the_way} card(s) still being retried")
        if self.unreached:
            who = ", ".join(f"<@{u}>" for u in self.unreached)
            parts.append(
                f"{len(self.unreached)} student(s) could not be reached (DMs closed and nowhere to ping them): "
                f"{who}: tell them to use `/myrole`"
            )
        return "; ".join(parts) + "."

    def rooms_text(self) -> str:
        """The rooms, counted, and what to grant for those not open."""
        if not self.rooms_total:
            return ""
        if self.rooms_open == self.rooms_total:
            text = f"{self.rooms_open} group and partner rooms opened."
            if self.rooms_public:
                text += (
                    " I lack **Create Private Threads** in this channel, so the threads are **public**: grant "
                    "it to keep group threads private next time."
                )
            return text
        missing = self.rooms_total - self.rooms_open
        head = (
            "Group and partner rooms could not be opened"
            if not self.rooms_open
            else f"{self.rooms_open} of {self.rooms_total} group and partner rooms opened; {missing} could not be"
        )
        if self.rooms_grant:
            return (
                f"{head}: grant {grant(self.rooms_grant)} in {self.where}, then run `/conductor status` to "
                "open them."
            )
        return f"{head} (Discord failed): run `/conductor status` to try again."

    def table_text(self) -> str:
        """Whether the class table is posted, and what to grant when it is not."""
        if self.table == StepStatus.DONE:
            return f"The table is posted in {self.where}."
        if self.table == StepStatus.BLOCKED:
            return (
                f"The table is **not** posted in {self.where}: grant {grant(self.table_grant)} there, then run "
                "`/conductor status` to post it."
            )
        if self.table == StepStatus.FAILED:
            return f"The table could not be posted in {self.where} (Discord failed): `/conductor status` tries again."
        return f"The table is still being posted in {self.where}."

    def instructor_text(self) -> str:
        """The counted summary for the instructor."""
        return " ".join(x for x in (self._cards(), self.rooms_text(), self.table_text()) if x)

    def class_text(self) -> str:
        """The line above the class table: only what happened, counted."""
        cards = f"Role cards: {self.dm} sent by DM"
        if self.in_rooms:
            cards += f", {self.in_rooms} as a **Show my role** button in the group room (DMs closed)"
        if self.in_channel:
            cards += f", {self.in_channel} as a **Show my role** button here (DMs closed)"
        if self.on_the_way:
            cards += f", {self.on_the_way} still on their way"
        if self.unreached:
            cards += f", {len(self.unreached)} not delivered"
        lines = ["Every student has a paper and a role.", cards + "."]
        if self.rooms_total and self.rooms_open == self.rooms_total:
            lines.append("Your group and partner rooms are open (threads).")
        elif self.rooms_open:
            lines.append(
                f"{self.rooms_open} of {self.rooms_total} group and partner rooms are open; the others are not "
                "open yet."
            )
        elif self.rooms_total:
            lines.append("The group and partner rooms are not open yet.")
        lines.append("`/myrole` shows your role any time, only to you.")
        return " ".join(lines)


class Tally(ServiceBase):
    """Counts what a session's confirm has done so far."""

    async def tally(self, session_id: int) -> Report:
        """What a session's confirm has done so far, counted from the database."""
        scope = scope_of(session_id)
        async with self.uow.read() as tx:
            row = await tx.sessions.get(session_id)
            if row is None:
                raise ConductorError("That session no longer exists.")
            a = await self._seated(tx, session_id)
            acks = await tx.acknowledgements.of_session(session_id)
            steps = await tx.steps.of_session(session_id)
            threads = await tx.rooms.of_session(session_id)
            fallback_at: dict[int, int] = {}
            for post in sorted(await tx.outbox.posts(scope, "fallback:"), key=lambda p: p.key):
                if post.status == PostStatus.SENT:
                    fallback_at[int(post.key.split(":")[1])] = post.channel_id
            table_sent = any(p.status == PostStatus.SENT for p in await tx.outbox.posts(scope, "table:"))
        wanted = self._wanted(a, ClassList({}))
        open_rooms = []
        grants: list[str] = []
        for key in wanted:
            step = steps.get(room_key(key))
            if key in threads and (step is None or step.status == StepStatus.DONE):
                open_rooms.append(key)
            elif step is not None and step.status == StepStatus.BLOCKED and step.detail:
                grants += [g for g in step.detail.split("|") if g not in grants]
        seated = {int(u) for u in a.seats}
        delivery = {uid: ack.delivery for uid, ack in acks.items() if uid in seated}
        in_channel = sum(
            1
            for uid, d in delivery.items()
            if d == Delivery.FALLBACK and fallback_at.get(uid) == row.channel_id
        )
        table = steps.get(TABLE)
        table_status = StepStatus.DONE if table_sent else table.status if table else StepStatus.DONE
        order = [
            permission_label(attr)
            for attr in (
                "view_channel",
                "create_private_threads",
                "create_public_threads",
                "send_messages_in_threads",
                "manage_threads",
            )
        ]
        grants.sort(key=lambda g: order.index(g) if g in order else len(order))
        return Report(
            where=self.threads.where(row.channel_id),
            students=len(seated),
            dm=sum(1 for d in delivery.values() if d == Delivery.DM),
            in_rooms=sum(1 for d in delivery.values() if d == Delivery.FALLBACK) - in_channel,
            in_channel=in_channel,
            unreached=tuple(sorted(uid for uid, d in delivery.items() if d == Delivery.FAILED)),
            on_the_way=sum(1 for uid in seated if delivery.get(uid, Delivery.PENDING) == Delivery.PENDING),
            rooms_open=len(open_rooms),
            rooms_total=len(wanted),
            rooms_public=any(not threads[k].private for k in open_rooms),
            rooms_grant=tuple(grants),
            table=table_status,
            table_grant=tuple((table.detail or "").split("|")) if table and table.detail else (),
        )
