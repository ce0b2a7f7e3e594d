"""The outbox: posts are written with the decision that needs them and delivered afterwards, exactly once."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Insert, Select, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.statuses import PostKind, PostStatus
from bot.services.ports import PostRecord
from bot.storage.models import PostRow, SessionRow

log = logging.getLogger(__name__)
T = TypeVar("T")

# Scopes that belong to a session ("session:12", "session:12:notices", "card:12:345", "report:12"): its
# guild's posts; scopes that name their guild ("projects:<guild>", "calendar:<guild>").
SESSION_SCOPE = re.compile(r"^(?:session|card|report):(\d+)")
GUILD_SCOPE = re.compile(r"^(?:projects|calendar):(\d+)")


def post_record(row: PostRow) -> PostRecord:
    """An outbox row as the use cases see it."""
    return PostRecord(
        row.scope,
        row.key,
        row.channel_id,
        PostKind(row.kind),
        row.payload,
        PostStatus(row.status),
        row.error,
        row.sent_at,
    )


def _canonical(payload: dict[str, Any]) -> str:
    """A payload as stored (JSON, keys sorted), to tell the same post from a different one."""
    return json.dumps(payload, sort_keys=True, default=str)


async def guild_of_scope(s: AsyncSession, scope: str) -> int | None:
    """The guild whose posts a scope holds, when the scope names a session or a guild (else None)."""
    if (named := GUILD_SCOPE.match(scope)) is not None:
        return int(named.group(1))
    match = SESSION_SCOPE.match(scope)
    if match is None:
        return None
    row = await s.get(SessionRow, int(match.group(1)))  # usually already loaded in this transaction
    return row.guild_id if row is not None else None


_ADD_COLUMNS = (
    "scope",
    "guild_id",
    "key",
    "channel_id",
    "nonce",
    "kind",
    "payload",
    "status",
    "attempts",
    "created_at",
    "not_before",
)


@cache
def _add_statement(dialect: str) -> Insert:
    """INSERT a post unless its (scope, key) is taken, RETURNING its id; built once per dialect."""
    # The dialect's own INSERT (ON CONFLICT is not standard SQL), imported when first needed: loading
    # PostgreSQL's dialect costs a SQLite bot 2 MB and 30 ms of start-up.
    values: dict[str, Any] = {name: bindparam(name) for name in _ADD_COLUMNS}
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(PostRow).values(values).on_conflict_do_nothing(index_elements=["scope", "key"])
        return pg.returning(PostRow.id)
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(PostRow).values(values).on_conflict_do_nothing(index_elements=["scope", "key"])
    return lite.returning(PostRow.id)


async def enqueue(
    s: AsyncSession,
    *,
    scope: str,
    key: str,
    channel_id: int,
    payload: dict[str, Any],
    now: datetime,
    kind: str = "send",
    not_before: datetime | None = None,
    guild_id: int | None = None,
) -> int | None:
    """Add a post unless one with the same scope and key exists; the new post's id (None: decided already).

    `guild_id` defaults to the guild the scope names (through its session). The same post decided twice
    is dropped quietly (that is what the key is for); a *different* post under a key already taken is
    dropped too, but with a WARNING, so a lost post is never silent.
    """
    values = {
        "scope": scope,
        "guild_id": guild_id if guild_id is not None else await guild_of_scope(s, scope),
        "key": key,
        "channel_id": channel_id,
        "nonce": secrets.token_hex(8),
        "kind": kind,
        "payload": payload,
        "status": PostStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "not_before": not_before if not_before is not None and not_before > now else None,
    }
    # One statement: the key's uniqueness decides (no read first, no unit-of-work flush per post).
    added = await s.scalar(_add_statement(s.get_bind().dialect.name), values)
    if added is not None:
        return int(added)
    existing = await find(s, scope, key)
    if existing is not None and (
        _canonical(existing.payload) != _canonical(payload) or existing.channel_id != channel_id
    ):
        log.warning(
            "outbox %s/%s: a different post was already decided under this key; this one is DROPPED "
            "(channel %s): %.300s",
            scope,
            key,
            channel_id,
            _canonical(payload),
        )
    return None


def _in_scope(query: Select[T], scope: str, prefix: str) -> Select[T]:
    """`query` narrowed to a scope's posts (only those whose key starts with `prefix`, when given)."""
    query = query.where(PostRow.scope == scope)
    return query.where(PostRow.key.startswith(prefix)) if prefix else query


async def keys(s: AsyncSession, scope: str, prefix: str = "") -> frozenset[str]:
    """Every post key already decided in a scope (optionally only those starting with `prefix`)."""
    return frozenset(await s.scalars(_in_scope(select(PostRow.key), scope, prefix)))


async def pending(s: AsyncSession, scope: str | None = None) -> list[PostRow]:
    """Posts not yet delivered, oldest first (optionally of one scope), including those not yet due."""
    query = select(PostRow).where(PostRow.status == PostStatus.PENDING).order_by(PostRow.id)
    if scope is not None:
        query = query.where(PostRow.scope == scope)
    return list(await s.scalars(query))


async def pending_scopes(s: AsyncSession, owns: Callable[[int | None], bool] | None = None) -> list[str]:
    """The scopes that have posts waiting (only those of guilds `owns` accepts, when given)."""
    query = select(PostRow.scope, PostRow.guild_id).where(PostRow.status == PostStatus.PENDING).distinct()
    scopes = {scope for scope, guild_id in await s.execute(query) if owns is None or owns(guild_id)}
    return sorted(scopes)


@dataclass(frozen=True)
class Attempted:
    """What became of one try of a post, to record: its new status, attempts so far, error, message."""

    post_id: int
    status: PostStatus
    attempts: int
    error: str | None
    message_id: int | None


# One statement for every outcome of a round (executemany): a row is changed only while still pending and
# not recorded by a later try, so a slow record never undoes a newer one. No read before the write.
_POSTS = cast(Table, PostRow.__table__)  # the Core table: a plain executemany, no ORM bookkeeping
_RECORD = (
    update(_POSTS)
    .where(
        _POSTS.c.id == bindparam("post_id"),
        _POSTS.c.status == PostStatus.PENDING.value,
        _POSTS.c.attempts <= bindparam("attempts"),
    )
    .values(status=bindparam("new_status"), attempts=bindparam("attempts"), error=bindparam("new_error"))
)
_RECORD_SENT = _RECORD.values(message_id=bindparam("new_message_id"), sent_at=bindparam("new_sent_at"))


async def record(s: AsyncSession, outcomes: Sequence[Attempted], now: datetime) -> None:
    """Record a round's outcomes (sent ones with their message and time) in one statement per shape."""
    sent = [o for o in outcomes if o.message_id is not None]
    rest = [o for o in outcomes if o.message_id is None]
    for statement, group in ((_RECORD_SENT, sent), (_RECORD, rest)):
        if group:
            await s.execute(
                statement,
                [
                    {
                        "post_id": o.post_id,
                        "attempts": o.attempts,
                        "new_status": o.status.value,
                        "new_error": o.error,
                        "new_message_id": o.message_id,
                        "new_sent_at": now,
                    }
                    for o in group
                ],
            )


async def find(s: AsyncSession, scope: str, key: str) -> PostRow | None:
    """The post with that scope and key, if any."""
    return await s.scalar(select(PostRow).where(PostRow.scope == scope, PostRow.key == key))


async def posts(s: AsyncSession, scope: str, prefix: str = "") -> list[PostRow]:
    """A scope's posts (optionally only those whose key starts with `prefix`), in the order decided."""
    return list(await s.scalars(_in_scope(select(PostRow), scope, prefix).order_by(PostRow.id)))


async def by_message(s: AsyncSession, scope: str, message_id: int, prefix: str = "") -> PostRow | None:
    """The post of a scope (key starting with `prefix`) that was delivered as this message, if any."""
    return await s.scalar(_in_scope(select(PostRow), scope, prefix).where(PostRow.message_id == message_id))
