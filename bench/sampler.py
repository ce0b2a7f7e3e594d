"""A stack sampler for a whole program: `python -m bench.sampler OUT -m bot run [args]` (no py-spy needed).

Every few milliseconds of CPU time the main thread's stack is recorded and counted; at exit
the counts are written to OUT as collapsed stacks ("outer;inner;innermost count", one a line, what
flamegraph tools read). Coroutines show up inside the task that runs them, so time spent deciding,
reading the outbox or sending is found by the function names on the stack: `python -m bench.sampler
--report OUT` prints, for the busiest functions, the share of the busy samples (not waiting in the
event loop's select) that had them on the stack. The SQL statements run are counted too, by the
project's coroutines awaiting when each ran, into OUT.sql.
"""

from __future__ import annotations

import atexit
import runpy
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

IDLE = ("select", "poll", "epoll")  # the event loop waiting: not work


def frame_name(code: object) -> str:
    """`path/to/file.py:function`, the path cut to what follows site-packages or the project root."""
    filename = getattr(code, "co_filename", "?")
    for marker in ("site-packages/", "/work/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{getattr(code, 'co_name', '?')}"


def sample(out: Path, interval: float = 0.005) -> None:
    """Sample the main thread every `interval` seconds of the process's CPU time; write to `out` at exit.

    A CPU-time timer (ITIMER_PROF) interrupts the main thread, whose handler records the stack there, so
    samples fall in proportion to CPU used (none while the process sleeps) and no thread competes for
    the GIL. CPU used by other threads (aiosqlite's) lands wherever the main thread was: mostly idle.
    """
    counts: Counter[str] = Counter()

    def record(_signum: int, frame: FrameType | None) -> None:
        names = []
        while frame is not None:
            names.append(frame_name(frame.f_code))
            frame = frame.f_back
        counts[";".join(reversed(names))] += 1

    signal.signal(signal.SIGPROF, record)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)

    def write() -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        out.write_text("".join(f"{stack} {n}\n" for stack, n in counts.most_common()))

    atexit.register(write)


def chain() -> str:
    """The project's functions on the stack, outermost first (e.g. `tick>_record`).

    SQLAlchemy runs its queries in a greenlet whose stack ends where it was entered: the stack of the
    code that awaited the query is the parent greenlet's, frozen where it switched.
    """
    import greenlet

    current = greenlet.getcurrent()
    frame = current.parent.gr_frame if current.parent is not None else sys._getframe()
    names: list[str] = []
    while frame is not None:
        if "/bot/" in frame.f_code.co_filename:
            names.append(frame.f_code.co_qualname)
        frame = frame.f_back
    return ">".join(reversed(names)) or "(other)"


def count_statements(out: Path) -> None:
    """Count the SQL statements run, by the coroutines that ran them; write to `out` at exit."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def seen(*_args: Any) -> None:
        counts[chain()] += 1

    atexit.register(lambda: out.write_text("".join(f"{n} {who}\n" for who, n in counts.most_common())))


def report(path: Path, top: int = 45) -> None:
    """The functions most often on the stack while busy, with their share of the busy samples."""
    inclusive: Counter[str] = Counter()
    busy = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        if frames and frames[-1].rsplit(":", 1)[-1] in IDLE:
            idle += n
            continue
        busy += n
        for name in set(frames):
            inclusive[name] += n
    print(f"{busy} busy samples, {idle} in the event loop's wait (other threads' CPU, e.g. aiosqlite)")
    for name, seen in inclusive.most_common(top):
        print(f"{seen / max(busy, 1):6.1%}  {name}")


def main() -> None:
    """`OUT -m module args...` runs the module sampled; `--report OUT` summarises a run."""
    if sys.argv[1] == "--report":
        report(Path(sys.argv[2]))
        return
    out, flag, module, *rest = sys.argv[1:]
    if flag != "-m":
        raise SystemExit("usage: python -m bench.sampler OUT -m module [args...] | --report OUT")
    sample(Path(out))
    count_statements(Path(f"{out}.sql"))
    sys.argv = [module, *rest]
    started = time.monotonic()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        print(f"sampled {time.monotonic() - started:.0f} s into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
