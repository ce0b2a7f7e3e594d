"""The stop sequence: closers run once, in order, each bounded; a failing or hanging one does not stop the rest."""

from __future__ import annotations

import asyncio

from bot.lifecycle import Shutdown


async def test_closers_run_once_in_order_and_a_hanging_or_failing_one_is_passed_over() -> None:
    ran: list[str] = []

    def step(name: str, *, hang: bool = False, fail: bool = False):  # type: ignore[no-untyped-def]
        async def run() -> None:
            ran.append(name)
            if hang:
                await asyncio.Event().wait()
            if fail:
                raise RuntimeError(name)

        return run

    sequence = Shutdown()
    sequence.add("gateway", step("gateway"), 1.0)
    sequence.add("database", step("database", fail=True), 1.0)
    sequence.add("slack socket", step("slack socket", hang=True), 0.05, before="gateway")
    sequence.add("logs", step("logs"), 1.0)
    await asyncio.gather(sequence.run(), sequence.run())  # concurrent callers share one run
    await sequence.run()  # and a later one finds it done
    assert ran == ["slack socket", "gateway", "database", "logs"]
    assert sequence.outcomes == [
        ("slack socket", "timed out"),
        ("gateway", "done"),
        ("database", "failed"),
        ("logs", "done"),
    ]
    assert sequence.budget() == 3.05
