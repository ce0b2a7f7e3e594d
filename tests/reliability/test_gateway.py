"""Gateway faults (RECONNECT, INVALID_SESSION, a dropped socket) during the role-card fan-out and at
phase transitions: nothing is lost and nothing is posted twice.

discord.py waits 5 s before re-IDENTIFYing after a non-resumable INVALID_SESSION; in-process the bot's
`before_identify_hook` is replaced so the test does not sit through that wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.config import load_config
from discord_sandbox import Sandbox, SandboxLimits
from tests.e2e.conftest import Classroom, populate, settings_for, write_config

from .conftest import (
    bot_posts,
    cards,
    duplicates,
    fallbacks,
    first_title,
    outbox_statuses,
)

pytestmark = pytest.mark.e2e

CLOSED = ("Student 05", "Student 14")


@pytest.fixture
def limits() -> SandboxLimits:
    """DM channels open 10 per 2 s, so the fan-out to 22 students lasts long enough to be disturbed."""
    return SandboxLimits(dm_open_window=2.0)


async def fault(sb: Sandbox, kind: str) -> None:
    """Inject one gateway fault and wait until the bot is connected again."""
    identifies, resumes = sb.gateway.identifies, sb.gateway.resumes
    if kind == "reconnect":
        await sb.send_reconnect()
    elif kind == "invalid":
        await sb.invalidate_session(resumable=False)
    else:
        await sb.drop_connection()
    again = (
        (lambda: sb.gateway.identifies > identifies)
        if kind == "invalid"
        else lambda: sb.gateway.resumes > resumes
    )
    await sb.wait_for(lambda: again() and sb._live(), timeout=10, what=f"the bot back after {kind}")


ORDERS = {
    "reconnect-invalid-drop": ("reconnect", "invalid", "drop"),
    "drop-reconnect-invalid": ("drop", "reconnect", "invalid"),
}


@pytest.mark.parametrize("order", list(ORDERS))
async def test_gateway_faults_during_the_fan_out_and_transitions_lose_and_repeat_nothing(
    sandbox: Sandbox, tmp_path: Path, order: str
) -> None:
    faults = ORDERS[order]
    config = write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ")
    guild, channel, teacher, people = populate(sandbox, students=22)
    for member in people:
        member.dms_open = member.name not in CLOSED
    room = Classroom(
        sandbox, guild, channel, teacher, people, load_config(config), settings_for(sandbox, tmp_path, config)
    )
    bot = await room.start_bot()

    async def at_once(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    bot.before_identify_hook = at_once  # type: ignore[method-assign]
    sb = room.sandbox
    try:
        await room.run(teacher, "session start", plan="fast")
        shown = await room.run(teacher, "assign")
        message = shown.messages[-1]
        await sb.click(teacher, message, next(cid for label, cid in message.buttons if label == "Confirm"))
        open_dms = [p for p in people if p.dms_open]

        def delivered(n: int) -> Callable[[], bool]:
            return lambda: sum(bool(cards(sb, p)) for p in open_dms) >= n

        mid_fan_out = 0
        for n, kind in zip((2, 8, 14), faults, strict=True):  # during the fan-out
            await sb.wait_for(delivered(n), timeout=20, what=f"{n} cards")
            mid_fan_out += not delivered(len(open_dms))()
            await fault(sb, kind)
        assert mid_fan_out >= 2, "the fan-out was over before the faults: nothing was tested"

        def seen(title: str) -> Callable[[], bool]:
            return lambda: any(
                title in first_title(m) for t in [channel, *guild.threads] for m in bot_posts(sb, t)
            )

        transitions: list[Awaitable[None]] = []
        for title, kind in zip(
            ("Do the role", "Discuss with your role-partner"), faults[1:], strict=True
        ):  # at transitions
            await sb.wait_for(seen(f"Now: {title}"), timeout=15, what=title)
            transitions.append(fault(sb, kind))
            await transitions[-1]

        def over() -> bool:
            everywhere = [m for t in [channel, *guild.threads] for m in bot_posts(sb, t)]
            ended = any("end of the session" in (m.content or "") for m in bot_posts(sb, channel))
            return ended and not any(
                (m.embeds or [{}])[0].get("title", "").startswith("Now:") for m in everywhere
            )

        await sb.wait_for(over, timeout=30, what="the end, every phase marked over")
        db = tmp_path / "conductor.db"
        await sb.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=15, what="the outbox drained")
        await sb.wait_for(lambda: all(cards(sb, p) or fallbacks(sb, p) for p in people), timeout=15)
    finally:
        await room.stop_bot()

    titles = [first_title(m) for m in bot_posts(sb, channel)]
    assert [t for t in titles if t.startswith("Now:")] == [
        "Now: Introduce and assign roles",
        "Now: Do the role!",
    ]
    assert sum("end of the session" in (m.content or "") for m in bot_posts(sb, channel)) == 1
    partner_threads = [t for t in guild.threads if " - " in t.name and not t.name.endswith(" - group")]
    assert len(partner_threads) == 20
    for thread in partner_threads:
        announced = [first_title(m) for m in bot_posts(sb, thread) if first_title(m).startswith("Now:")]
        assert announced == [f"Now: Discuss with your role-partner ({thread.name})"] or len(announced) == 1, (
            announced
        )
    for t in [channel, *guild.threads]:
        assert duplicates(bot_posts(sb, t)) == [], t.name
    for p in people:
        got = (len(cards(sb, p)), len(fallbacks(sb, p)))
        assert got == ((0, 1) if p.name in CLOSED else (1, 0)), (p.name, got)
        assert duplicates(sb.dms(p)) == []
    statuses = outbox_statuses(tmp_path / "conductor.db")
    assert statuses["failed"] == len(CLOSED), statuses  # the two refused DMs, each replaced by a fallback
    assert sb.gateway.identifies >= 2 and sb.gateway.resumes >= 2
