"""Start-up speed: Python's cyclic garbage collector paused from the first import until the catch-up is sent.

Loading discord.py, SQLAlchemy and pydantic creates some 170,000 objects and almost no garbage, yet the
collector walks them all again and again as they pile up (about 0.1 s of a restart's 0.9 s of CPU).
Reference counting still frees everything that is not in a cycle, so a paused collector only lets the
few cyclic leftovers of start-up wait; `resume` collects them and turns the collector back on.

`resume` also freezes what start-up left (`gc.freeze`): the modules, classes and clients live as long as
the process, and a full collection that walked them all again paused the event loop mid-transition
(the "answers while busy" benchmark's slowest answers). Later collections walk only what came after.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Pause the cyclic garbage collector for start-up (a no-op when it is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """After start-up (idempotent): collect its cyclic garbage, freeze the rest, turn the collector on."""
    global _paused
    if _paused:
        _paused = False
        gc.collect()
        gc.freeze()
        gc.enable()
