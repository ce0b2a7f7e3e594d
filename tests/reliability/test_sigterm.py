"""`python -m bot run` stopped with SIGTERM or SIGINT: work in flight finishes, the gateway closes cleanly, exit 0.

The bot is started with the systemd unit's own ExecStart (deploy/conductor.service; its interpreter
replaced by this one), against the sandbox, on one SQLite file. It is signalled at a precise moment: from
the sandbox, while the bot's post of a new phase is being received, or once some role cards of the
fan-out are out. After the stop it is restarted on the same database and the class ends: every phase said
once, every student reached once, no post accepted twice.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.adapters.discord.client import RESTARTING
from bot.settings import Settings
from discord_sandbox import Channel, Message, Sandbox, SandboxLimits
from tests.e2e.conftest import ROOT, populate, settings_for, write_config
from tests.test_deploy import unit_command

from .conftest import (
    LoggedBotProcess,
    assert_each_phase_said_once,
    bot_posts,
    cards,
    duplicates,
    fallbacks,
    first_title,
    outbox_statuses,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHASES = ["Block A", "Block B", "Block C", "Block D"]
PLAN = (
    "\n".join(
        f'[[phases]]\nkey = "s{i}"\nname = "{name}"\nseconds = 3\naudience = "class"\ntext = "Work on {name}."\n'
        for i, name in enumerate(PHASES)
    )
    + '\n[plans.stops]\nphases = ["s0", "s1", "s2", "s3"]\n'
)


class SignalledBotProcess(LoggedBotProcess):
    """The unit's ExecStart against the sandbox; can be sent signals and waited for."""

    def __init__(self, sb: Sandbox, settings: Settings, log_path: Path, **env: str) -> None:
        super().__init__(sb, settings, log_path)
        self.extra_env = env

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}

    async def start(self) -> None:
        """Start `<python> -m bot run` exactly as the unit does and wait until it identified."""
        sb = self.sandbox
        before = sb.gateway.identifies
        self._file = self.log_path.open("ab")
        argv = [sys.executable, *unit_command()[1:]]
        self.proc = await asyncio.create_subprocess_exec(
            *argv, env=self.env(), cwd=str(ROOT), stdout=self._file, stderr=self._file
        )
        await sb.wait_for(
            lambda: (sb.gateway.identifies > before and sb._live()) or self.proc.returncode is not None,  # type: ignore[union-attr]
            timeout=60,
            what="the bot process to connect",
        )
        assert self.proc.returncode is None, self.log_path.read_text()[-3000:]

    def signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Send a signal now (callable from inside a sandbox handler)."""
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def exited(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """The exit status, waiting at most `timeout` seconds for it."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        self._file.close()
        assert self.sandbox.token not in self.output(), "the token was logged"
        return code

    def output(self) -> str:
        """Everything the process logged so far."""
        return self.log_path.read_text(errors="replace")


def accepted_twice(sb: Sandbox) -> list[str]:
    """Nonces of posts Discord accepted (2xx) more than once: a post sent again after the restart."""
    counts = Counter(
        str(r.json.get("nonce"))
        for r in sb.requests
        if r.method == "POST" and isinstance(r.json, dict) and r.json.get("nonce") and 200 <= r.status < 300
    )
    return [n for n, c in counts.items() if c > 1]


def signal_when_posted(sb: Sandbox, proc: SignalledBotProcess, title: str) -> list[Message]:
    """SIGTERM the bot while the sandbox is receiving its post titled `title` (before answering it)."""
    seen: list[Message] = []

    def listener(kind: str, message: Message, _channel: Channel) -> None:
        if kind == "posted" and not seen and first_title(message) == title:
            seen.append(message)
            proc.signal(signal.SIGTERM)

    sb.message_listeners.append(listener)
    return seen


async def test_sigterm_during_a_phase_transition_exits_0_and_the_restart_says_each_phase_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAN, warning_seconds="warning_seconds = [1]\n# ")
    _guild, channel, teacher, _ = populate(sandbox, students=3)
    settings = settings_for(sandbox, tmp_path, config)
    log = tmp_path / "bot.log"
    db = tmp_path / "conductor.db"
    proc = SignalledBotProcess(sandbox, settings, log)
    await proc.start()
    try:
        seen = signal_when_posted(sandbox, proc, "Now: Block B")
        started = await sandbox.run_command(
            teacher, "session start", channel=channel, options={"plan": "stops"}
        )
        await started.wait_followup(timeout=10)
        code = await proc.exited(timeout=30)
        assert seen, "the bot stopped before the transition"
        assert code == 0, proc.output()[-3000:]
        assert sandbox.gateway.disconnects[-1] == "client 1000", sandbox.gateway.disconnects
        assert "stopped cleanly" in proc.output()
        # The post being sent when the signal came was finished and recorded: it will not go out again.
        with sqlite3.connect(db) as conn:
            status = conn.execute("select status from posts where nonce = ?", (seen[0].nonce,)).fetchone()
        assert status == ("sent",)

        proc = SignalledBotProcess(sandbox, settings, log)
        await proc.start()

        def over() -> bool:
            return any("end of the session" in (m.content or "") for m in bot_posts(sandbox, channel))

        await sandbox.wait_for(over, timeout=60, what="the end of the session")
        await sandbox.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10, what="outbox drained")
    finally:
        await proc.terminate()
    assert_each_phase_said_once(bot_posts(sandbox, channel), [f"Now: {p}" for p in PHASES], db)
    assert accepted_twice(sandbox) == []
    assert sandbox.gateway.disconnects[-1] == "client 1000"


STUDENTS = 22
CLOSED = ("Student 04", "Student 17")


async def fan_out(sandbox: Sandbox, tmp_path: Path, **env: str) -> tuple[SignalledBotProcess, object, list]:
    """A class of 22 (two with DMs closed), the bot started, a session, /assign and Confirm pressed."""
    config = write_config(tmp_path)
    guild, channel, teacher, people = populate(sandbox, students=STUDENTS)
    for member in people:
        member.dms_open = member.name not in CLOSED
    for name in ("aasa", "thanos", "manxi", "paraskevas"):
        guild.add_member(f"Teacher {name.title()}", username=f"teacher-{name}")
    settings = settings_for(sandbox, tmp_path, config)
    proc = SignalledBotProcess(sandbox, settings, tmp_path / "bot.log", **env)
    await proc.start()
    started = await sandbox.run_command(
        teacher, "session start", channel=channel, options={"plan": "reading-group"}
    )
    await started.wait_followup(timeout=10)
    shown = await sandbox.run_command(teacher, "assign", channel=channel)
    if shown.deferred:
        await shown.wait_followup(timeout=10)
    message = shown.messages[-1]
    button = next(cid for label, cid in message.buttons if label == "Confirm")
    confirm = await sandbox.click(teacher, message, button)
    return proc, confirm, people


def assert_everyone_reached_once(sandbox: Sandbox, people: list, db: Path) -> None:
    for p in people:
        got = (len(cards(sandbox, p)), len(fallbacks(sandbox, p)))
        assert got == ((0, 1) if p.name in CLOSED else (1, 0)), (p.name, got)
        assert duplicates(sandbox.dms(p)) == []
    for thread in sandbox.guilds[0].threads:
        assert duplicates([m for m in thread.messages if m.author_id == sandbox.bot_user.id]) == []
    assert accepted_twice(sandbox) == []
    with sqlite3.connect(db) as conn:
        deliveries = dict(conn.execute("select user_id, delivery from acknowledgements").fetchall())
    assert deliveries == {p.id: ("fallback" if p.name in CLOSED else "dm") for p in people}
    statuses = outbox_statuses(db)  # the cards to closed DMs failed (and became the thread pings)
    assert statuses["pending"] == 0 and statuses["failed"] == len(CLOSED), statuses


@pytest.fixture
def limits() -> SandboxLimits:
    """DM channels open 10 per 2 s: the fan-out to 22 students takes a few seconds."""
    return SandboxLimits(dm_open_window=2.0)


# DM channels open 10 per 4 s here: the bot is still sending (well within its 10 s grace) for seconds
# after the signal, so the command typed meanwhile surely finds it stopping, not gone.
@pytest.mark.parametrize("limits", [SandboxLimits(dm_open_window=4.0)], ids=["dm-window-4s"])
async def test_sigterm_during_the_card_fan_out_finishes_it_answers_confirm_and_refuses_new_commands(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    proc, confirm, people = await fan_out(sandbox, tmp_path)
    db = tmp_path / "conductor.db"
    open_dms = [p for p in people if p.dms_open]
    try:
        await sandbox.wait_for(
            lambda: sum(bool(cards(sandbox, p)) for p in open_dms) >= 3, timeout=20, what="3 cards"
        )
        proc.signal(signal.SIGTERM)
        sent_at_signal = sum(bool(cards(sandbox, p)) for p in open_dms)
        assert sent_at_signal < len(open_dms), "the fan-out finished before the signal: nothing was tested"
        await sandbox.wait_for(lambda: "stopping (SIGTERM)" in proc.output(), timeout=10, what="the stop")
        # A command typed while the bot is stopping gets an answer at once, not silence.
        late = await sandbox.run_command(people[0], "myrole", channel=None)
        assert late.ephemeral and late.text == RESTARTING
        code = await proc.exited(timeout=30)
        assert code == 0, proc.output()[-3000:]
        # The instructor's Confirm, received before the signal, got its answer; every card went out.
        assert any("Confirmed for" in m.text for m in confirm.followups), confirm.text  # type: ignore[attr-defined]
        assert all(cards(sandbox, p) for p in open_dms)
        assert sandbox.gateway.disconnects[-1] == "client 1000"
        assert "stopped cleanly" in proc.output()

        proc = SignalledBotProcess(sandbox, proc.settings, proc.log_path)
        await proc.start()  # the restart has nothing left to send
        await sandbox.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10, what="outbox drained")
    finally:
        await proc.terminate()
    assert_everyone_reached_once(sandbox, people, db)


async def test_a_fan_out_longer_than_the_grace_is_cut_cleanly_and_finished_after_the_restart(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    proc, confirm, people = await fan_out(sandbox, tmp_path, STOP_GRACE_SECONDS="0.5")
    db = tmp_path / "conductor.db"
    open_dms = [p for p in people if p.dms_open]
    try:
        await sandbox.wait_for(
            lambda: sum(bool(cards(sandbox, p)) for p in open_dms) >= 2, timeout=20, what="2 cards"
        )
        proc.signal(signal.SIGTERM)
        code = await proc.exited(timeout=15)
        assert code == 0, proc.output()[-3000:]
        cut_after = sum(bool(cards(sandbox, p)) for p in open_dms)
        assert cut_after < len(open_dms), "the fan-out finished within the grace: nothing was cut"
        assert "posts not yet started stay in the outbox" in proc.output()
        assert "stopped cleanly" in proc.output()  # nothing had to be cancelled
        # Confirm is still answered: the instructor learns some cards are on their way.
        assert any("still being retried" in m.text for m in confirm.followups), confirm.text  # type: ignore[attr-defined]
        assert sandbox.gateway.disconnects[-1] == "client 1000"

        proc = SignalledBotProcess(sandbox, proc.settings, proc.log_path)
        await proc.start()
        await sandbox.wait_for(
            lambda: all(cards(sandbox, p) or fallbacks(sandbox, p) for p in people),
            timeout=30,
            what="every student reached",
        )
        await sandbox.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10, what="outbox drained")
    finally:
        await proc.terminate()
    assert_everyone_reached_once(sandbox, people, db)


async def test_sigint_stops_cleanly_and_a_second_signal_exits_at_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAN)
    _guild, channel, teacher, _ = populate(sandbox, students=2)
    settings = settings_for(sandbox, tmp_path, config)
    proc = SignalledBotProcess(sandbox, settings, tmp_path / "bot.log")
    await proc.start()
    proc.signal(signal.SIGINT)
    assert await proc.exited(timeout=30) == 0
    assert sandbox.gateway.disconnects[-1] == "client 1000"
    assert "stopping (SIGINT)" in proc.output() and "stopped cleanly" in proc.output()

    # Now a stop that cannot finish soon: the session's next post is held by a 30 s rate limit.
    proc = SignalledBotProcess(sandbox, settings, tmp_path / "bot.log")
    await proc.start()
    sandbox.fail_requests("POST", rf"/channels/{channel.id}/messages$", status=429, count=1, retry_after=30)
    await sandbox.run_command(teacher, "session start", channel=channel, options={"plan": "stops"})
    await sandbox.wait_for(lambda: sandbox.stats.rate_limited >= 1, timeout=10, what="the held post")
    proc.signal(signal.SIGTERM)
    await sandbox.wait_for(lambda: "stopping (SIGTERM)" in proc.output(), timeout=10, what="the stop")
    proc.signal(signal.SIGTERM)
    assert await proc.exited(timeout=5) == 128 + signal.SIGTERM
    assert "SIGTERM again while stopping: exiting now" in proc.output()


@pytest.mark.parametrize("moment", ["login", "start-up", "connected"])
async def test_a_signal_during_start_up_exits_0_and_the_next_start_is_whole(
    sandbox: Sandbox, tmp_path: Path, moment: str
) -> None:
    config = write_config(tmp_path, PLAN)
    _guild, channel, teacher, _ = populate(sandbox, students=2)
    settings = settings_for(sandbox, tmp_path, config)
    proc = SignalledBotProcess(sandbox, settings, tmp_path / "bot.log")
    # SIGTERM when the sandbox sees the login request, the command sync (start-up nearly done), or READY.
    route = {"login": "/users/@me", "start-up": "/applications/", "connected": None}[moment]
    fired: list[bool] = []

    def on_change() -> bool:
        hit = (
            sandbox.gateway.identifies > 0
            if route is None
            else any(r.path.startswith(route) for r in sandbox.requests)
        )
        if hit and not fired and proc.proc is not None:
            fired.append(True)
            proc.signal(signal.SIGTERM)
        return bool(fired)

    proc._file = proc.log_path.open("ab")
    proc.proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *unit_command()[1:],
        env=proc.env(),
        cwd=str(ROOT),
        stdout=proc._file,
        stderr=proc._file,
    )
    await sandbox.wait_for(on_change, timeout=60, what=f"the {moment} moment")
    assert await proc.exited(timeout=30) == 0, proc.output()[-3000:]
    assert "Traceback" not in proc.output()

    proc = SignalledBotProcess(sandbox, settings, tmp_path / "bot.log")
    await proc.start()
    try:
        status = await sandbox.run_command(teacher, "conductor status", channel=channel, options={})
        assert "Conductor status" in status.text
    finally:
        await proc.terminate()
