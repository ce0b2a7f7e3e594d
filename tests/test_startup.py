"""Start-up runs with the cyclic garbage collector paused; resuming frees what waited and turns it back on."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot import startup


class Node:
    """An object in a reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was_on = gc.isenabled()
    yield
    startup.resume()
    gc.unfreeze()
    if was_on:
        gc.enable()
    else:
        gc.disable()


def test_a_cycle_made_during_start_up_waits_and_is_freed_when_start_up_ends() -> None:
    gc.enable()
    startup.pause()
    cycle = Node()
    gone = weakref.ref(cycle)
    del cycle
    assert not gc.isenabled()
    assert gone() is not None  # waiting for the collector

    startup.resume()

    assert gc.isenabled()
    assert gone() is None
    assert gc.get_freeze_count() > 0  # what start-up left is out of later collections' way
    startup.resume()  # a second resume (the bot's and the command line's) changes nothing
    assert gc.isenabled()


def test_a_collector_turned_off_before_start_up_stays_off() -> None:
    gc.disable()
    startup.pause()
    startup.resume()
    assert not gc.isenabled()
