"""Stopping: an ordered list of named closers run once and each bounded, and the SIGTERM/SIGINT handlers."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
Closer = Callable[[], Awaitable[object]]


@dataclass
class Step:
    """One closer of the stop sequence: its name, what it runs and how long it may take."""

    name: str
    run: Closer
    timeout: float


class Shutdown:
    """The stop sequence: steps run in order, each within its timeout; calling it again awaits the same run.

    New closers (a Slack socket, a web server) are added with `add(name, closer, timeout, before=...)`.
    A step that fails or times out is logged and the next one still runs, so the stop is always bounded
    by the sum of the timeouts.
    """

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.outcomes: list[tuple[str, str]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, name: str, run: Closer, timeout: float, *, before: str | None = None) -> None:
        """Append a closer, or insert it before the step called `before`."""
        step = Step(name, run, timeout)
        if before is None:
            self.steps.append(step)
            return
        index = next((i for i, s in enumerate(self.steps) if s.name == before), len(self.steps))
        self.steps.insert(index, step)

    @property
    def started(self) -> bool:
        """Whether the stop has begun."""
        return self._task is not None

    def budget(self) -> float:
        """The longest the whole sequence can take (the sum of the step timeouts)."""
        return sum(step.timeout for step in self.steps)

    async def run(self) -> None:
        """Run the sequence once; later and concurrent calls wait for that same run."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="conductor-shutdown")
        await asyncio.shield(self._task)

    async def _run(self) -> None:
        for step in self.steps:
            try:
                async with asyncio.timeout(step.timeout):
                    await step.run()
            except TimeoutError:
                log.warning("stopping: %s did not finish within %.1f s; going on", step.name, step.timeout)
                self.outcomes.append((step.name, "timed out"))
            except Exception:
                log.exception("stopping: %s failed; going on", step.name)
                self.outcomes.append((step.name, "failed"))
            else:
                self.outcomes.append((step.name, "done"))


STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)


def install_signal_handlers(
    loop: asyncio.AbstractEventLoop,
    stop: Callable[[str], object],
    *,
    exit_now: Callable[[int], None] = os._exit,
) -> None:
    """SIGTERM and SIGINT call `stop(name)` once; a second signal exits at once (status 128 + signal)."""
    received: list[str] = []

    def handler(sig: signal.Signals) -> None:
        if received:
            log.warning("%s again while stopping: exiting now", sig.name)
            from bot import logs

            logs.flush()
            exit_now(128 + int(sig))
            return
        received.append(sig.name)
        stop(sig.name)

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, handler, sig)


def remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
    """Give SIGTERM and SIGINT back to their defaults."""
    for sig in STOP_SIGNALS:
        loop.remove_signal_handler(sig)
