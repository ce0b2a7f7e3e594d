"""`kill -9` in the middle of the role-card fan-out after Confirm, then a restart on the same database.

Every student ends up with exactly one role card by DM, or (DMs closed) exactly one "Show my role"
ping in their group thread; nobody gets two, and the acknowledgement table says how each was reached.
The instructor, whose "Confirmed" answer died with the process, is told by DM what was done, counted;
the class table, posted last, says the same.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from discord_sandbox import Sandbox, SandboxLimits
from tests.e2e.conftest import populate, settings_for, write_config

from .conftest import (
    LoggedBotProcess,
    bot_posts,
    cards,
    duplicates,
    fallbacks,
    outbox_statuses,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STUDENTS = 22
CLOSED = ("Student 04", "Student 17")


@pytest.fixture
def limits() -> SandboxLimits:
    """DM channels open 10 per 2 s: the fan-out to 22 students takes a few seconds, room to kill it."""
    return SandboxLimits(dm_open_window=2.0)


@pytest.mark.parametrize("seed", [3])
async def test_a_kill_during_the_card_fan_out_leaves_one_card_or_fallback_each(
    sandbox: Sandbox, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    config = write_config(tmp_path)
    guild, channel, teacher, people = populate(sandbox, students=STUDENTS)
    for member in people:
        member.dms_open = member.name not in CLOSED
    for name in ("aasa", "thanos", "manxi", "paraskevas"):
        guild.add_member(f"Teacher {name.title()}", username=f"teacher-{name}")
    settings = settings_for(sandbox, tmp_path, config)
    log = tmp_path / "bot.log"
    proc = LoggedBotProcess(sandbox, settings, log)
    await proc.start()
    try:
        started = await sandbox.run_command(
            teacher, "session start", channel=channel, options={"plan": "reading-group"}
        )
        await started.wait_followup(timeout=10)
        shown = await sandbox.run_command(teacher, "assign", channel=channel)
        if shown.deferred:
            await shown.wait_followup(timeout=10)
        message = shown.messages[-1]
        button = next(cid for label, cid in message.buttons if label == "Confirm")
        confirming = await sandbox.click(teacher, message, button)
        open_dms = [p for p in people if p.dms_open]
        k = rng.randint(2, len(open_dms) // 2)
        await sandbox.wait_for(
            lambda: sum(bool(cards(sandbox, p)) for p in open_dms) >= k, timeout=20, what=f"{k} cards"
        )
        await proc.kill()
        sent_before = sum(bool(cards(sandbox, p)) for p in open_dms)
        assert sent_before < len(open_dms), "the fan-out finished before the kill: nothing was tested"
        proc = LoggedBotProcess(sandbox, settings, log)
        await proc.start()

        def reached() -> bool:
            return all(cards(sandbox, p) or fallbacks(sandbox, p) for p in people)

        await sandbox.wait_for(reached, timeout=30, what="every student reached")
        # Cards sent by the restarted process, before any command could be typed, carry their buttons too.
        unbuttoned = [
            p.name for p in open_dms for m in cards(sandbox, p) if ("Got it" not in [b for b, _ in m.buttons])
        ]
        assert unbuttoned == []
        db = tmp_path / "conductor.db"
        await sandbox.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10, what="outbox drained")
        # The instructor's "Confirmed" answer died with the process: the restart tells them what was done.
        told = await sandbox.wait_for(
            lambda: [m for m in sandbox.dms(teacher) if "Confirmed for" in m.content],
            timeout=10,
            what="the instructor told what was done",
        )
    finally:
        await proc.terminate()

    here = f"<#{channel.id}>"
    assert [m.content for m in told] == [
        "I was stopped while confirming the assignment and have now finished it. Confirmed for 22 "
        "students. 20 of 22 role cards sent by DM; 2 student(s) with closed DMs pinged in their group room. "
        f"24 group and partner rooms opened. The table is posted in {here}. Follow acknowledgements with "
        "`/roles status`."
    ]
    assert confirming.followups == []  # the live answer died with the process: the DM is the only one
    tables = [
        m for m in bot_posts(sandbox, channel) if m.embeds and m.embeds[0].get("title") == "Roles for today"
    ]
    assert [m.content for m in tables] == [
        "Every student has a paper and a role. Role cards: 20 sent by DM, 2 as a **Show my role** button in "
        "the group room (DMs closed). Your group and partner rooms are open (threads). `/myrole` shows your "
        "role any time, only to you."
    ]

    where = f"seed {seed}, killed after {sent_before} cards; log {log}"
    for p in people:
        got = (len(cards(sandbox, p)), len(fallbacks(sandbox, p)))
        assert got == ((0, 1) if p.name in CLOSED else (1, 0)), (p.name, got, where)
        assert duplicates(sandbox.dms(p)) == [], where
    for thread in guild.threads:
        assert duplicates([m for m in thread.messages if m.author_id == sandbox.bot_user.id]) == [], where
    with sqlite3.connect(tmp_path / "conductor.db") as conn:
        deliveries = dict(conn.execute("select user_id, delivery from acknowledgements").fetchall())
    expected = {p.id: ("fallback" if p.name in CLOSED else "dm") for p in people}
    assert deliveries == expected, where
