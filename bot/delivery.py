"""Delivering the outbox to Discord over REST: once, in order, with retries, and loud about permissions.

Each post's message is rendered for Discord when it is sent (`bot.adapters.discord.render`); a post
stored by an older version, already in Discord's words, is sent as it was stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot import logs
from bot.adapters.discord.inert import fit_message
from bot.adapters.discord.render import allowed_mentions, stored_payload
from bot.core.message import Message, rich
from bot.core.statuses import PostStatus
from bot.messages.outbox import stored
from bot.needs import missing_permissions
from bot.storage import outbox
from bot.storage.models import PostRow

if TYPE_CHECKING:
    from bot.app import ConductorBot

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
# One attempt (discord.py's own tries and rate-limit waits included) is abandoned after this long; the
# post is then retried with the same nonce, so Discord keeps at most one copy.
ATTEMPT_SECONDS = 60.0
# Rounds the deliverer starts itself (after a retry, or for a post that was not due yet) wait this long
# for any one post before leaving it to the background, so they never hold a scope up for long.
PATIENCE_SECONDS = 1.5


def default_backoff(attempts: int) -> timedelta:
    """How long to wait before trying a failed post again: 2 s, 4 s, 8 s... at most a minute."""
    return timedelta(seconds=min(2**attempts, 60))


ViewFactory = Callable[[dict[str, Any]], discord.ui.View]
# Post kinds: "send" and "edit" (of the post `payload.target`, same scope) in a channel; "dm" and
# "dm-edit" the same in the DM of the user whose id is the post's channel_id (e.g. a role card edited).
EDITS = frozenset({"edit", "dm-edit"})
DMS = frozenset({"dm", "dm-edit"})
# The channels a post can go to: they take messages and hand out partial messages to edit.
PostChannel = (
    discord.TextChannel | discord.VoiceChannel | discord.StageChannel | discord.Thread | discord.DMChannel
)


@dataclass(frozen=True)
class Outcome:
    """What became of one outbox post in a delivery round."""

    status: PostStatus  # sent, failed, pending
    message_id: int | None
    error: str | None
    attempts: int


class Deliverer:
    """Sends pending outbox posts scope by scope; a failed post is retried with backoff, never dropped.

    A post that fails is handed to the background: it is retried on its own with bounded backoff, and
    the posts after it go out meanwhile. A caller that must keep time (a session's transition) passes
    `patience`: a post still sending after that long (discord.py retrying a 5xx: 1 s, 3 s, 5 s...)
    finishes in the background too. An edit of a post still being tried waits for it.
    """

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot
        self.views: dict[str, ViewFactory] = {}
        self.attempt_timeout = ATTEMPT_SECONDS
        self.patience = PATIENCE_SECONDS
        self.backoff: Callable[[int], timedelta] = default_backoff
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._retry_tasks: set[asyncio.Task[None]] = set()
        self._handled: set[int] = set()  # outbox ids delivered (or given up on) by this process
        self._inflight: dict[int, asyncio.Task[Outcome]] = {}  # posts being sent right now
        self._waiting: dict[int, datetime] = {}  # posts waiting for their next try in the background
        # Attempts made by this process on posts still pending: rows read ahead may carry a stale count.
        self._attempts: dict[int, int] = {}
        self._active = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._stopped = False
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
        """Wait until no delivery round or send is running (up to `grace` seconds); True when all is quiet.

        Sends still running after that are abandoned: their posts stay pending in the outbox and go out
        at the next start, with the same nonce.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        try:
            await asyncio.wait_for(self._quiet.wait(), grace)
        except TimeoutError:
            return False
        sends = set(self._inflight.values())
        if sends:
            await asyncio.wait(sends, timeout=max(0.0, deadline - loop.time()))
        for task in [*self._inflight.values(), *self._retry_tasks]:
            task.cancel()
        return not sends or all(task.done() for task in sends)

    def stop(self) -> None:
        """Start no more posts (the one being sent finishes); what is left stays in the outbox for next time."""
        self._stopped = True

    @property
    def stopped(self) -> bool:
        """Whether `stop` was called (no new posts start)."""
        return self._stopped

    @property
    def idle(self) -> bool:
        """Whether no delivery round is running."""
        return self._active == 0

    @property
    def tasks(self) -> set[asyncio.Task[None]]:
        """Background deliveries started by this deliverer (notices to the instructor)."""
        return set(self._retry_tasks)

    async def flush(
        self, scope: str, rows: list[PostRow] | None = None, patience: float | None = None
    ) -> None:
        """Deliver a scope's pending posts in the order they were decided (`rows`: read ahead already).

        Without `patience`, each due post has been tried once when this returns (its outcome is in the
        database); with it, a post still sending after `patience` seconds finishes in the background.
        """
        if self._stopped:
            return
        self._active += 1
        self._quiet.clear()
        session = scope.split(":")[1] if scope.count(":") >= 1 else ""
        try:
            if "session" in logs.current() or not session.isdigit():
                await self._flush(scope, rows, patience)
            else:
                with logs.bound(session=int(session)):
                    await self._flush(scope, rows, patience)
        finally:
            self._active -= 1
            if self._active == 0:
                self._quiet.set()

    async def _flush(self, scope: str, rows: list[PostRow] | None, patience: float | None) -> None:
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
                    if self._stopped:
                        break  # stopping: the rest is sent by the next start
                    if row.id in self._inflight or row.id in self._waiting or row.id in self._handled:
                        continue  # done meanwhile, or being retried in the background: later posts go on
                    if row.not_before is not None and row.not_before > now:
                        # Not due yet: come back then. A later edit may wait; a later message may not
                        # overtake this one.
                        self.bot.scheduler.at(
                            f"outbox:{scope}", row.not_before, self.flush, scope, None, self.patience
                        )
                        if row.kind in EDITS:
                            continue
                        break
                    if row.kind in EDITS and await self._target_pending(row, sent):
                        continue  # its message is not out yet: this round comes again once it is
                    outcome = await self._attempt(row, sent, patience)
                    if outcome is None:
                        continue  # still sending after `patience` seconds: it finishes in the background
                    outcomes.append((row, outcome))
            finally:
                # One write for the whole batch; a crash before it only re-sends with the same nonces.
                self._handled.update(
                    row.id for row, outcome in outcomes if outcome.status != PostStatus.PENDING
                )
                try:
                    await self._record(outcomes)
                finally:  # retried once recorded, so a retry never races the record of its last try
                    for row, outcome in outcomes:
                        if outcome.status == PostStatus.PENDING:
                            self._retry_later(row, outcome.attempts)

    async def _attempt(self, row: PostRow, sent: dict[str, int], patience: float | None) -> Outcome | None:
        """Try a post, waiting `patience` seconds at most; None when it goes on in the background."""
        task = asyncio.create_task(self._deliver(row, sent))
        self._inflight[row.id] = task
        try:
            await asyncio.wait({task}, timeout=patience)
        except asyncio.CancelledError:  # the round was cancelled: the send is still seen through
            self._spawn(self._finish(row, task))
            raise
        if task.done():
            del self._inflight[row.id]
            return task.result()
        log.warning("post %s/%s is slow to go out: finishing it in the background", row.scope, row.key)
        self._spawn(self._finish(row, task))
        return None

    async def _finish(self, row: PostRow, task: asyncio.Task[Outcome]) -> None:
        """Wait for a send running in the background, record it, and retry it later or send what waited."""
        try:
            outcome = await task
        except BaseException:
            self._inflight.pop(row.id, None)
            raise
        # It stays in flight until recorded and either done or waiting, so no round takes it meanwhile.
        try:
            if outcome.status != PostStatus.PENDING:
                self._handled.add(row.id)
            await self._record([(row, outcome)])
        finally:
            self._inflight.pop(row.id, None)
            if outcome.status == PostStatus.PENDING:
                self._retry_later(row, outcome.attempts)
        if outcome.status != PostStatus.PENDING:
            await self.flush(row.scope, patience=self.patience)  # edits of this post, and the rest, go now

    def _retry_later(self, row: PostRow, attempts: int) -> None:
        """Try a failed post again on its own after a backoff, while the posts after it go on."""
        when = self.bot.clock.now() + self.backoff(attempts)
        self._waiting[row.id] = when
        self.bot.scheduler.at(f"outbox-retry:{row.id}", when, self._retry, row.id)

    async def _retry(self, post_id: int) -> None:
        """One more try of a post that failed, outside its scope's delivery rounds."""
        # It stays marked as waiting until its send is under way, so no delivery round takes it meanwhile.
        try:
            if post_id in self._inflight or post_id in self._handled:
                return
            async with self.bot.db.session() as s:
                row = await s.get(PostRow, post_id)
            if row is None or row.status != PostStatus.PENDING:
                return
            task = asyncio.create_task(self._deliver(row, {}))
            self._inflight[post_id] = task
        finally:
            self._waiting.pop(post_id, None)
        await self._finish(row, task)

    async def _target_pending(self, row: PostRow, sent: dict[str, int]) -> bool:
        """Whether the message an edit changes has yet to go out (it is still being tried)."""
        target = row.payload.get("target")
        if target is None or target in sent:
            return False
        async with self.bot.db.session() as s:
            original = await outbox.find(s, row.scope, target)
        if original is None:
            return False
        if original.id in self._inflight or original.id in self._waiting:
            return True  # being sent, or recorded, or waiting for its next try
        return original.status == PostStatus.PENDING and original.id not in self._handled

    def _spawn(self, work: Awaitable[None]) -> None:
        """Run delivery work in the background, keeping a reference until it is done."""
        task = asyncio.ensure_future(work)
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)

    async def _deliver(self, row: PostRow, sent: dict[str, int]) -> Outcome:
        """Send one post and say what became of it (sent, failed for good, or still pending)."""
        attempts = max(row.attempts, self._attempts.get(row.id, 0)) + 1
        self._attempts[row.id] = attempts  # counted now: a copy of the row read earlier cannot recount it
        try:
            message_id = await asyncio.wait_for(self._send(row, sent), self.attempt_timeout)
        except discord.Forbidden as error:
            await self._report_forbidden(row, error)
            return Outcome(PostStatus.FAILED, None, f"{error.code}: {error.text}", attempts)
        except discord.NotFound as error:
            log.warning("post %s/%s: channel or message gone (%s)", row.scope, row.key, error.text)
            return Outcome(PostStatus.FAILED, None, f"{error.code}: {error.text}", attempts)
        except (TimeoutError, discord.HTTPException, OSError) as error:
            log.warning("post %s/%s attempt %d failed: %r", row.scope, row.key, attempts, error)
            return await self._retry_or_give_up(row, attempts, error)
        except Exception as error:  # a bug must not wedge the outbox: retried, then given up on
            log.exception("post %s/%s attempt %d raised", row.scope, row.key, attempts)
            return await self._retry_or_give_up(row, attempts, error)
        if message_id is not None:
            sent[row.key] = message_id
        log.info("sent %s %s/%s (message %s)", row.kind, row.scope, row.key, message_id)
        self.delivered += 1
        return Outcome(PostStatus.SENT, message_id, None, attempts)

    async def _retry_or_give_up(self, row: PostRow, attempts: int, error: Exception) -> Outcome:
        if attempts < MAX_ATTEMPTS:
            return Outcome(PostStatus.PENDING, None, repr(error), attempts)
        log.error("post %s/%s given up after %d attempts: %r", row.scope, row.key, attempts, error)
        where = getattr(self.bot.get_channel(row.channel_id), "mention", f"channel {row.channel_id}")
        shown = stored_payload(row.payload)
        embeds = shown.get("embeds") or []
        what = embeds[0].get("title") if embeds else None
        what = what or next(iter((shown.get("content") or "").splitlines()), "") or "a message"
        await self._notify_owner(
            row,
            f"gave-up:{row.channel_id}",
            f'I could not post "{what[:100]}" in {where}: Discord kept failing ({error!s:.120}) and I '
            f"gave up after {attempts} attempts. The session keeps running and its later posts go on "
            "(if more posts there fail, I do not tell you again).",
            scope=f"{row.scope}:notices",  # not queued behind the posts that keep failing
        )
        return Outcome(PostStatus.FAILED, None, repr(error), attempts)

    async def _record(self, outcomes: list[tuple[PostRow, Outcome]]) -> None:
        if not outcomes:
            return
        now = self.bot.clock.now()
        async with self.bot.db.session() as s, s.begin():
            for row, outcome in outcomes:
                if outcome.status == PostStatus.PENDING:
                    self._attempts[row.id] = max(outcome.attempts, self._attempts.get(row.id, 0))
                else:
                    self._attempts.pop(row.id, None)
                stored = await s.get(PostRow, row.id)
                assert stored is not None
                if stored.status != PostStatus.PENDING or stored.attempts > outcome.attempts:
                    continue  # a later try was recorded already: never undo it
                stored.status = outcome.status
                stored.error = outcome.error
                stored.attempts = outcome.attempts
                if outcome.message_id is not None:
                    stored.message_id = outcome.message_id
                    stored.sent_at = now

    async def _messageable(self, row: PostRow) -> PostChannel:
        if row.kind in DMS:
            user = self.bot.get_user(row.channel_id) or await self.bot.fetch_user(row.channel_id)
            return await user.create_dm()
        channel = self.bot.get_channel(row.channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(row.channel_id)
        if not isinstance(channel, PostChannel):  # a category or forum: retried, then given up on
            raise TypeError(f"channel {row.channel_id} ({type(channel).__name__}) takes no posts")
        return channel

    async def _send(self, row: PostRow, sent: dict[str, int]) -> int | None:
        payload = fit_message(stored_payload(row.payload))  # rendered now; Discord's limits in one place
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
        if row.kind in EDITS:
            target_id = sent.get(payload["target"])
            if target_id is None:
                async with self.bot.db.session() as s:
                    target = await outbox.find(s, row.scope, payload["target"])
                target_id = target.message_id if target is not None else None
            if target_id is None:
                return None  # the original never made it out: nothing to edit
            message = channel.get_partial_message(target_id)
            await message.edit(
                content=payload.get("content"),
                embeds=embeds,
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return target_id
        content, mentions = payload.get("content"), allowed_mentions(payload.get("mentions", []))
        role = self._role(channel, payload.get("ping_role"))
        if role is not None:
            content = fit_message({"content": f"{role.mention} {content or ''}".strip()})["content"]
            mentions.roles = [role]
        message = await channel.send(
            content=content,
            embeds=embeds,
            view=view,  # type: ignore[arg-type]  # discord.py's overloads omit the None its send() accepts
            allowed_mentions=mentions,
            nonce=row.nonce,
        )
        return message.id

    @staticmethod
    def _role(channel: object, name: str | None) -> discord.Role | None:
        """The guild role of that name in the channel's guild (for class-wide pings), if any."""
        guild: discord.Guild | None = getattr(channel, "guild", None)
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
        if owner_id is None or row.kind in DMS:
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
        if owner_id is None or row.kind in DMS:
            return
        scope = scope or row.scope
        async with self.bot.db.session() as s, s.begin():
            if await outbox.find(s, scope, key) is not None:
                return  # told already: once is the promise
            await outbox.enqueue(
                s,
                scope=scope,
                key=key,
                channel_id=owner_id,
                payload=stored(Message(rich(text))),
                now=self.bot.clock.now(),
                kind="dm",
            )
        self._spawn(self.flush(scope))
