"""The outbox never drops a post silently: a different post under a taken key is logged as a WARNING."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import outbox
from bot.storage.db import Database


async def test_a_different_post_under_a_taken_key_is_dropped_loudly_the_same_one_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'o.db'}")
    await db.migrate()
    now = datetime.now(UTC)

    async def enqueue(text: str) -> object:
        async with db.session() as s, s.begin():
            payload = {"content": text, "embeds": [], "mentions": []}
            return await outbox.enqueue(s, scope="session:1", key="k", channel_id=5, payload=payload, now=now)

    try:
        with caplog.at_level(logging.WARNING, logger="bot.storage.outbox"):
            assert await enqueue("Back to **Intro**") is not None
            assert await enqueue("Back to **Intro**") is None  # decided twice: one post, nothing to say
            assert not caplog.records
            assert await enqueue("Now: Intro") is None  # another post under the same key: dropped...
        assert [r.levelname for r in caplog.records] == ["WARNING"]  # ...but never silently
        assert "session:1/k" in caplog.text and "DROPPED" in caplog.text and "Now: Intro" in caplog.text
    finally:
        await db.close()
