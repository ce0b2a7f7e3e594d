"""Timers due at the same instant fire in the order they were set (the earliest-started session first)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.scheduling import Scheduler


async def test_timers_due_together_fire_in_the_order_they_were_set_not_by_name() -> None:
    scheduler = Scheduler()
    scheduler.start()
    fired: list[str] = []
    done = asyncio.Event()

    async def fire(name: str) -> None:
        fired.append(name)
        if len(fired) == 12:
            done.set()

    instant = datetime.now(UTC) + timedelta(seconds=0.3)
    try:
        for n in range(1, 13):  # sessions 1..12 changing phase at the same instant
            scheduler.at(f"session:{n}", instant, fire, f"session:{n}")
        scheduler.at("session:3", instant, fire, "session:3")  # set again: now it comes last
        await asyncio.wait_for(done.wait(), 10)
    finally:
        scheduler.shutdown()
    assert fired == [f"session:{n}" for n in (1, 2, *range(4, 13), 3)]


async def test_a_cancelled_timer_does_not_fire_and_upcoming_names_timers_as_they_were_set() -> None:
    scheduler = Scheduler()
    scheduler.start()
    fired: list[str] = []

    async def fire(name: str) -> None:
        fired.append(name)

    soon = datetime.now(UTC) + timedelta(seconds=0.2)
    later = soon + timedelta(hours=1)
    try:
        scheduler.at("outbox:session:1", soon, fire, "outbox")
        scheduler.at("session:1", later, fire, "session")
        scheduler.cancel("outbox:session:1")
        assert scheduler.upcoming() == [("session:1", later)]
        await asyncio.sleep(0.4)
    finally:
        scheduler.shutdown()
    assert fired == []
