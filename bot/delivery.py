"""Delivering the outbox to Discord over REST: once, in order, with retries, and loud about permissions."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.needs import missing_permissions
from bot.storage import outbox
from bot.storage.models import PostRow

if TYPE_CHECKING:
    from bot.app import ConductorBot

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
ViewFactory = Callable[[dict[str, Any]], discord.ui.View]


@dataclass(frozen=True)
class Outcome:
    """What became of one outbox post in a delivery round."""

    status: str  # sent, failed, pending
    message_id: int | None
    error: str | None
    attempts: int


def allowed_mentions(payload: dict[str, Any]) -> discord.AllowedMentions:
    """Ping exactly the users the payload names; never @everyone, roles, or anyone a user typed."""
    users = [discord.Object(uid) for uid in payload.get("mentions", [])]
    return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)


class Deliverer:
    """Sends pending outbox posts scope by scope; a failed post is retried with backoff, never dropped."""

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot
        self.views: dict[str, ViewFactory] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._retry_tasks: set[asyncio.Task[None]] = set()
        self._handled: set[int] = set()  # outbox ids delivered (or given up on) by this process
        # Attempts made by this process on posts still pending: rows read ahead may carry a stale count.
        self._attempts: dict[int, int] = {}
        self._active = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self.delivered = 0
        # The guilds this process serves (all, unless sharded across processes: bot.core.shards).
        self.owns: Callable[[int | None], bool] | None = None

    def register_view(self, name: str, factory: ViewFactory) -> None:
        """Let payloads name a persistent view (buttons) that this factory builds."""
        self.views[name] = factory

    async def flush_all(self) -> None:
        """Deliver everything pending, e.g. at start-up after a crash."""
        async with self.bot.db.session() as s:
            scopes = await outbox.pending_scopes(s, self.owns)
        await asyncio.gather(*(self.flush(scope) for scope in scopes))

    async def pending(self, scope: str) -> list[PostRow]:
        """A scope's undelivered posts, read ahead of the moment they are due."""
        async with self.bot.db.session() as s:
            return await outbox.pending(s, scope)

    async def settle(self, grace: float = 10.0) -> bool:
        """Wait until no delivery round is running (up to `grace` seconds); True when all is quiet."""
        try:
            await asyncio.wait_for(self._quiet.wait(), grace)
        except TimeoutError:
            return False
        return True

    async def flush(self, scope: str, rows: list[PostRow] | None = None) -> None:
        """Deliver a scope's pending posts in the order they were decided (`rows`: read ahead already)."""
        self._active += 1
        self._quiet.clear()
        try:
            await self._flush(scope, rows)
        finally:
            self._active -= 1
            if self._active == 0:
                self._quiet.set()

    async def _flush(self, scope: str, rows: list[PostRow] | None) -> None:
        async with self._locks[scope]:
            if rows is None:
                rows = await self.pending(scope)
            else:  # read before the lock: skip whatever another round delivered meanwhile
                rows = [row for row in rows if row.id not in self._handled]
            sent: dict[str, int] = {}
            outcomes: list[tuple[PostRow, Outcome]] = []
            now = self.bot.clock.now()
            try:
                for row in rows:
                    if row.not_before is not None and row.not_before > now:
                        # Not due yet: come back then. A later edit may wait; a later message may not
                        # overtake this one.
                        self.bot.scheduler.at(f"outbox:{scope}", row.not_before, self.flush, scope)
                        if row.kind == "edit":
                            continue
                        break
                    outcome = await self._deliver(row, sent)
                    outcomes.append((row, outcome))
                    if outcome.status == "pending":
                        self._retry_later(scope, outcome.attempts)
                        break
            finally:
                # One write for the whole batch; a crash before it only re-sends with the same nonces.
                self._handled.update(row.id for row, outcome in outcomes if outcome.status != "pending")
                await self._record(outcomes)

    def _retry_later(self, scope: str, attempts: int) -> None:
        delay = min(2**attempts, 60)
        when = self.bot.clock.now() + timedelta(seconds=delay)
        self.bot.scheduler.at(f"outbox:{scope}", when, self.flush, scope)

    async def _deliver(self, row: PostRow, sent: dict[str, int]) -> Outcome:
        """Send one post and say what became of it (sent, failed for good, or still pending)."""
        attempts = max(row.attempts, self._attempts.get(row.id, 0)) + 1
        try:
            message_id = await self._send(row, sent)
        except discord.Forbidden as error:
            await self._report_forbidden(row, error)
            return Outcome("failed", None, f"{error.code}: {error.text}", attempts)
        except discord.NotFound as error:
            log.warning("post %s/%s: channel or message gone (%s)", row.scope, row.key, error.text)
            return Outcome("failed", None, f"{error.code}: {error.text}", attempts)
        except (TimeoutError, discord.HTTPException, OSError) as error:
            log.warning("post %s/%s attempt %d failed: %r", row.scope, row.key, attempts, error)
            return await self._retry_or_give_up(row, attempts, error)
        except Exception as error:  # a bug must not wedge the outbox: retried, then given up on
            log.exception("post %s/%s attempt %d raised", row.scope, row.key, attempts)
            return await self._retry_or_give_up(row, attempts, error)
        if message_id is not None:
            sent[row.key] = message_id
        self.delivered += 1
        return Outcome("sent", message_id, None, attempts)

    async def _retry_or_give_up(self, row: PostRow, attempts: int, error: Exception) -> Outcome:
        if attempts < MAX_ATTEMPTS:
            return Outcome("pending", None, repr(error), attempts)
        log.error("post %s/%s given up after %d attempts: %r", row.scope, row.key, attempts, error)
        where = getattr(self.bot.get_channel(row.channel_id), "mention", f"channel {row.channel_id}")
        embeds = row.payload.get("embeds") or []
        what = embeds[0].get("title") if embeds else None
        what = what or next(iter((row.payload.get("content") or "").splitlines()), "") or "a message"
        await self._notify_owner(
            row,
            f"gave-up:{row.channel_id}",
            f'I could not post "{what[:100]}" in {where}: Discord kept failing ({error!s:.120}) and I '
            f"gave up after {attempts} attempts (later posts there may be lost too; I tell you once). "
            "The session keeps running.",
            scope=f"{row.scope}:notices",  # not queued behind the posts that keep failing
        )
        return Outcome("failed", None, repr(error), attempts)

    async def _record(self, outcomes: list[tuple[PostRow, Outcome]]) -> None:
        if not outcomes:
            return
        now = self.bot.clock.now()
        async with self.bot.db.session() as s, s.begin():
            for row, outcome in outcomes:
                if outcome.status == "pending":
                    self._attempts[row.id] = outcome.attempts
                else:
                    self._attempts.pop(row.id, None)
                stored = await s.get(PostRow, row.id)
                assert stored is not None
                stored.status = outcome.status
                stored.error = outcome.error
                stored.attempts = outcome.attempts
                if outcome.message_id is not None:
                    stored.message_id = outcome.message_id
                    stored.sent_at = now

    async def _messageable(self, row: PostRow) -> discord.abc.Messageable:
        if row.kind == "dm":
            user = self.bot.get_user(row.channel_id) or await self.bot.fetch_user(row.channel_id)
            return await user.create_dm()
        channel = self.bot.get_channel(row.channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(row.channel_id)
        return channel  # type: ignore[return-value]

    async def _send(self, row: PostRow, sent: dict[str, int]) -> int | None:
        payload = row.payload
        channel = await self._messageable(row)
        embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])]
        view = None
        if payload.get("view"):
            spec = payload["view"]
            factory = self.views.get(spec["name"])
            if factory is None:  # a post must never be lost for want of its buttons
                log.error(
                    "no view named %r is registered: posting %s/%s without it",
                    spec["name"],
                    row.scope,
                    row.key,
                )
            else:
                view = factory(spec.get("args", {}))
        if row.kind == "edit":
            target_id = sent.get(payload["target"])
            if target_id is None:
                async with self.bot.db.session() as s:
                    target = await outbox.find(s, row.scope, payload["target"])
                target_id = target.message_id if target is not None else None
            if target_id is None:
                return None  # the original never made it out: nothing to edit
            message = channel.get_partial_message(target_id)  # type: ignore[attr-defined]
            await message.edit(
                content=payload.get("content"),
                embeds=embeds,
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return target_id
        content, mentions = payload.get("content"), allowed_mentions(payload)
        role = self._role(channel, payload.get("ping_role"))
        if role is not None:
            content = f"{role.mention} {content or ''}".strip()
            mentions.roles = [role]
        message = await channel.send(
            content=content,
            embeds=embeds,
            view=view,  # type: ignore[arg-type]
            allowed_mentions=mentions,
            nonce=row.nonce,
        )
        return message.id

    @staticmethod
    def _role(channel: object, name: str | None) -> discord.Role | None:
        """The guild role of that name in the channel's guild (for class-wide pings), if any."""
        guild = getattr(channel, "guild", None)
        if not name or guild is None:
            return None
        return discord.utils.find(lambda r: r.name.casefold() == name.casefold(), guild.roles)

    async def _report_forbidden(self, row: PostRow, error: discord.Forbidden) -> None:
        """Tell the instructor, once per channel, which permission is missing where."""
        channel = self.bot.get_channel(row.channel_id)
        owner_id = row.payload.get("notify")
        log.warning(
            "post %s/%s refused by Discord (%s) in channel %s", row.scope, row.key, error.code, row.channel_id
        )
        if owner_id is None or row.kind == "dm":
            return
        where = getattr(channel, "mention", f"channel {row.channel_id}")
        missing = []
        if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            missing = [label for label, _ in missing_permissions(channel.permissions_for(channel.guild.me))]
        needed = ", ".join(f"**{m}**" for m in missing) or "the permission to post there"
        text = (
            f"I could not post the session's messages in {where}: grant me {needed} there. "
            "The session keeps running; its next posts go through once the permission is granted."
        )
        await self._notify_owner(row, f"forbidden:{row.channel_id}", text)

    async def _notify_owner(self, row: PostRow, key: str, text: str, scope: str | None = None) -> None:
        """DM the post's owner (the instructor in `notify`) once per `key` in `scope` (the post's)."""
        owner_id = row.payload.get("notify")
        if owner_id is None or row.kind == "dm":
            return
        scope = scope or row.scope
        async with self.bot.db.session() as s, s.begin():
            await outbox.enqueue(
                s,
                scope=scope,
                key=key,
                channel_id=owner_id,
                payload={"content": text, "embeds": [], "mentions": [], "view": None},
                now=self.bot.clock.now(),
                kind="dm",
            )
        task = asyncio.create_task(self.flush(scope))
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)
