"""Delivering the outbox: once, in order, with retries, and loud about refusals, on any chat platform.

The engine here reads the posts, keeps their order and their retries, and records what became of each;
a platform's `Sender` renders a post's stored message and sends it (Discord:
`bot.adapters.discord.sender`; Slack: `bot.adapters.slack.sender`), and says how its errors count.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot import logs
from bot.core.clock import Clock
from bot.core.message import Message, plain_text, rich
from bot.core.statuses import PostStatus
from bot.messages.outbox import message_of, stored
from bot.scheduling import Scheduler
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import PostRow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
# One attempt (the client library's own tries and rate-limit waits included) is abandoned after this
# long; the post is then retried (on Discord with the same nonce, so Discord keeps at most one copy).
ATTEMPT_SECONDS = 60.0
# Rounds the deliverer starts itself (after a retry, or for a post that was not due yet) wait this long
# for any one post before leaving it to the background, so they never hold a scope up for long.
PATIENCE_SECONDS = 1.5
RECENT = 5_000  # messages remembered for the edits that follow them (a few hundred bytes each)


def default_backoff(attempts: int) -> timedelta:
    """How long to wait before trying a failed post again: 2 s, 4 s, 8 s... at most a minute."""
    return timedelta(seconds=min(2**attempts, 60))


# Post kinds: "send" and "edit" (of the post `payload.target`, same scope) in a channel; "dm" and
# "dm-edit" the same in the DM of the user whose id is the post's channel_id (e.g. a role card edited).
EDITS = frozenset({"edit", "dm-edit"})
DMS = frozenset({"dm", "dm-edit"})


class Failure(StrEnum):
    """How a failed send counts."""

    REFUSED = "refused"  # the platform refused (a permission, a scope): failed for good, the owner told
    GONE = "gone"  # the channel or message is gone: failed for good
    RETRY = "retry"  # worth trying again later


class Sender(Protocol):
    """A chat platform's side of delivery: render a stored post and send it, and judge its errors."""

    platform: str  # the platform's name, as the instructor reads it ("Discord")

    async def send(self, row: PostRow, payload: Mapping[str, Any], target_id: int | None) -> int | None:
        """Send a post (or, for an edit, change message `target_id`); the message's id."""
        ...

    def failure(self, error: BaseException) -> Failure | None:
        """How a send's error counts (None: unexpected, a bug: logged with its traceback, retried)."""
        ...

    def describe(self, error: BaseException) -> str:
        """An error as stored with the post."""
        ...

    def where(self, channel_id: int) -> str:
        """A channel as a message to the instructor names it."""
        ...

    async def refused_text(self, row: PostRow, error: BaseException) -> str:
        """What to tell the instructor when the platform refused a post there (what to grant)."""
        ...


class Turn:
    """A send's place under its platform's rate limit: waiting in a pacer's queue, or under way since when.

    The deliverer's patience counts from a post's turn, not from when it joined the queue: with 500
    sessions changing phase together the last posts wait ten seconds for the 50/s limit, and such a post
    is not slow (finishing it on the background path would only cost each post more database work).
    """

    def __init__(self) -> None:
        self.queued = False
        self.since = asyncio.get_running_loop().time()  # when the send began, or its last turn came
        self.granted = asyncio.Event()

    def wait(self) -> None:
        """The send waits for its turn."""
        self.queued = True
        self.granted.clear()

    def go(self) -> None:
        """The send's turn came (or it stopped waiting)."""
        self.queued = False
        self.since = asyncio.get_running_loop().time()
        self.granted.set()


_TURN: ContextVar[Turn | None] = ContextVar("delivery_turn", default=None)


@contextmanager
def waiting_turn() -> Iterator[None]:
    """Mark the post being sent as waiting for its turn under a rate limit while in this block (pacers use it)."""
    turn = _TURN.get()
    if turn is None:
        yield
        return
    turn.wait()
    try:
        yield
    finally:
        turn.go()


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
    `patience`: a post still sending after that long (a client library retrying a 5xx: 1 s, 3 s, 5 s...)
    finishes in the background too. An edit of a post still being tried waits for it.
    """

    def __init__(self, sender: Sender, db: Database, clock: Clock, scheduler: Scheduler) -> None:
        self.sender = sender
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
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
        # Messages this process sent lately, by (scope, key): an edit's round finds its target here
        # instead of reading it back (bounded; an older one is read from the database as before).
        self._recent: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._active = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._stopped = False
        self.delivered = 0
        # The guilds this process serves (all, unless sharded across processes: bot.core.shards).
        self.owns: Callable[[int | None], bool] | None = None

    async def flush_all(self) -> None:
        """Deliver everything pending, e.g. at start-up after a crash."""
        async with self.db.session() as s:
            scopes = await outbox.pending_scopes(s, self.owns)
        await asyncio.gather(*(self.flush(scope) for scope in scopes))

    async def pending(self, scope: str) -> list[PostRow]:
        """A scope's undelivered posts, read ahead of the moment they are due."""
        async with self.db.session() as s:
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
            now = self.clock.now()
            try:
                for row in rows:
                    if self._stopped:
                        break  # stopping: the rest is sent by the next start
                    if row.id in self._inflight or row.id in self._waiting or row.id in self._handled:
                        continue  # done meanwhile, or being retried in the background: later posts go on
                    if row.not_before is not None and row.not_before > now:
                        # Not due yet: come back then. A later edit may wait; a later message may not
                        # overtake this one.
                        self.scheduler.at(
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
        turn = Turn()
        task = asyncio.create_task(self._deliver(row, sent, turn))
        self._inflight[row.id] = task
        try:
            await self._patiently(task, turn, patience)
        except asyncio.CancelledError:  # the round was cancelled: the send is still seen through
            self._spawn(self._finish(row, task))
            raise
        if task.done():
            del self._inflight[row.id]
            return task.result()
        log.warning("post %s/%s is slow to go out: finishing it in the background", row.scope, row.key)
        self._spawn(self._finish(row, task))
        return None

    @staticmethod
    async def _patiently(task: asyncio.Task[Outcome], turn: Turn, patience: float | None) -> None:
        """Wait for a send until it is done, or has been under way `patience` seconds since its turn came."""
        if patience is None:
            await asyncio.wait({task})
            return
        loop = asyncio.get_running_loop()
        while not task.done():
            if turn.queued:  # waiting for the rate limit, not slow: patience starts with its turn
                granted = asyncio.ensure_future(turn.granted.wait())
                try:
                    await asyncio.wait({task, granted}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    granted.cancel()
                continue
            left = turn.since + patience - loop.time()
            if left <= 0:
                return
            await asyncio.wait({task}, timeout=left)

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
        when = self.clock.now() + self.backoff(attempts)
        self._waiting[row.id] = when
        self.scheduler.at(f"outbox-retry:{row.id}", when, self._retry, row.id)

    async def _retry(self, post_id: int) -> None:
        """One more try of a post that failed, outside its scope's delivery rounds."""
        # It stays marked as waiting until its send is under way, so no delivery round takes it meanwhile.
        try:
            if post_id in self._inflight or post_id in self._handled:
                return
            async with self.db.session() as s:
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
        if (message_id := self._recent.get((row.scope, target))) is not None:
            sent[target] = message_id
            return False
        async with self.db.session() as s:
            original = await outbox.find(s, row.scope, target)
        if original is None:
            return False
        if original.message_id is not None:
            sent[target] = original.message_id  # out already: the send need not look it up again
        if original.id in self._inflight or original.id in self._waiting:
            return True  # being sent, or recorded, or waiting for its next try
        return original.status == PostStatus.PENDING and original.id not in self._handled

    def _spawn(self, work: Awaitable[None]) -> None:
        """Run delivery work in the background, keeping a reference until it is done."""
        task = asyncio.ensure_future(work)
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)

    async def _deliver(self, row: PostRow, sent: dict[str, int], turn: Turn | None = None) -> Outcome:
        """Send one post and say what became of it (sent, failed for good, or still pending)."""
        _TURN.set(turn)  # this task's own context: the platform's pacer reports the post's turn to it
        attempts = max(row.attempts, self._attempts.get(row.id, 0)) + 1
        self._attempts[row.id] = attempts  # counted now: a copy of the row read earlier cannot recount it
        try:
            message_id = await asyncio.wait_for(self._send(row, sent), self.attempt_timeout)
        except Exception as error:
            failure = Failure.RETRY if isinstance(error, TimeoutError) else self.sender.failure(error)
            match failure:
                case Failure.REFUSED:
                    await self._report_refused(row, error)
                    return Outcome(PostStatus.FAILED, None, self.sender.describe(error), attempts)
                case Failure.GONE:
                    log.warning("post %s/%s: channel or message gone (%r)", row.scope, row.key, error)
                    return Outcome(PostStatus.FAILED, None, self.sender.describe(error), attempts)
                case Failure.RETRY:
                    log.warning("post %s/%s attempt %d failed: %r", row.scope, row.key, attempts, error)
                case None:  # a bug must not wedge the outbox: retried, then given up on
                    log.exception("post %s/%s attempt %d raised", row.scope, row.key, attempts)
            return await self._retry_or_give_up(row, attempts, error)
        if message_id is not None:
            sent[row.key] = message_id
            if row.kind not in EDITS:
                self._recent[(row.scope, row.key)] = message_id
                if len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        log.info("sent %s %s/%s (message %s)", row.kind, row.scope, row.key, message_id)
        self.delivered += 1
        return Outcome(PostStatus.SENT, message_id, None, attempts)

    async def _retry_or_give_up(self, row: PostRow, attempts: int, error: Exception) -> Outcome:
        if attempts < MAX_ATTEMPTS:
            return Outcome(PostStatus.PENDING, None, repr(error), attempts)
        log.error("post %s/%s given up after %d attempts: %r", row.scope, row.key, attempts, error)
        where = self.sender.where(row.channel_id)
        message = message_of(row.payload)
        what = plain_text(message.cards[0].title) if message.cards else ""
        what = what or next(iter(plain_text(message.text).splitlines()), "") or "a message"
        await self._notify_owner(
            row,
            f"gave-up:{row.channel_id}",
            f'I could not post "{what[:100]}" in {where}: {self.sender.platform} kept failing ({error!s:.120}) and I '
            f"gave up after {attempts} attempts. The session keeps running and its later posts go on "
            "(if more posts there fail, I do not tell you again).",
            scope=f"{row.scope}:notices",  # not queued behind the posts that keep failing
        )
        return Outcome(PostStatus.FAILED, None, repr(error), attempts)

    async def _record(self, outcomes: list[tuple[PostRow, Outcome]]) -> None:
        if not outcomes:
            return
        for row, outcome in outcomes:
            if outcome.status == PostStatus.PENDING:
                self._attempts[row.id] = max(outcome.attempts, self._attempts.get(row.id, 0))
            else:
                self._attempts.pop(row.id, None)
        attempted = [
            outbox.Attempted(row.id, outcome.status, outcome.attempts, outcome.error, outcome.message_id)
            for row, outcome in outcomes
        ]
        async with self.db.session() as s, s.begin():
            await outbox.record(s, attempted, self.clock.now())

    async def _send(self, row: PostRow, sent: dict[str, int]) -> int | None:
        """Send a post through the platform; an edit finds its message first (None: it never went out)."""
        target_id = None
        if row.kind in EDITS:
            target_key = row.payload["target"]
            target_id = sent.get(target_key)
            if target_id is None:
                async with self.db.session() as s:
                    target = await outbox.find(s, row.scope, target_key)
                target_id = target.message_id if target is not None else None
            if target_id is None:
                return None  # the original never made it out: nothing to edit
        return await self.sender.send(row, row.payload, target_id)

    async def _report_refused(self, row: PostRow, error: BaseException) -> None:
        """Tell the instructor, once per channel, what to grant where."""
        log.warning(
            "post %s/%s refused by %s (%s) in channel %s",
            row.scope,
            row.key,
            self.sender.platform,
            self.sender.describe(error),
            row.channel_id,
        )
        if row.payload.get("notify") is None or row.kind in DMS:
            return
        text = await self.sender.refused_text(row, error)
        await self._notify_owner(row, f"forbidden:{row.channel_id}", text)

    async def _notify_owner(self, row: PostRow, key: str, text: str, scope: str | None = None) -> None:
        """DM the post's owner (the instructor in `notify`) once per `key` in `scope` (the post's)."""
        owner_id = row.payload.get("notify")
        if owner_id is None or row.kind in DMS:
            return
        scope = scope or row.scope
        async with self.db.session() as s, s.begin():
            if await outbox.find(s, scope, key) is not None:
                return  # told already: once is the promise
            await outbox.enqueue(
                s,
                scope=scope,
                key=key,
                channel_id=owner_id,
                payload=stored(Message(rich(text))),
                now=self.clock.now(),
                kind="dm",
            )
        self._spawn(self.flush(scope))
