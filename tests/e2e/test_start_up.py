"""`python -m bot run` pauses the cyclic garbage collector; the bot turns it back on once caught up."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import startup
from discord_sandbox import Sandbox
from tests.e2e.conftest import open_class


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was_on = gc.isenabled()
    yield
    startup.resume()
    if was_on:
        gc.enable()


async def test_the_bot_turns_the_collector_back_on_once_caught_up(
    sandbox: Sandbox, tmp_path: Path, config_path: Path, collector_restored: None
) -> None:
    gc.enable()
    startup.pause()  # as `python -m bot run` does before its first import
    room = await open_class(sandbox, tmp_path, config_path)
    try:
        assert gc.isenabled()
    finally:
        await room.stop_bot()
