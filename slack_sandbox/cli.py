"""`python -m slack_sandbox`: a sandbox workspace to rehearse against, with members you can type as.

It prints the Web API base URL and the tokens to give the app, a transcript of what the app posts,
and reads lines such as `alice /session start 13:50` from the terminal: that member types the command
in the class channel, and what they then saw is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import stat
import sys
from collections.abc import Sequence

from .reader import shown
from .sandbox import SlackSandbox
from .scripted import CommandError, ScriptedUser
from .workspace import Channel, Sight, SightKind


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m slack_sandbox", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    p.add_argument("--students", type=int, default=8, help="members besides the instructor (default 8)")
    p.add_argument("--channel", default="reading-group", help="the class channel (default reading-group)")
    p.add_argument("--team", default="DTU 02501 ADLCV", help="the workspace's name")
    return p.parse_args(argv)


def populate(sb: SlackSandbox, students: int, channel: str) -> tuple[Channel, list[ScriptedUser]]:
    """An instructor and students, all in the class channel with the app."""
    teacher = sb.add_user("Teacher Dimitrios", name="teacher", email="teacher@example.edu", is_admin=True)
    people = [
        sb.add_user(f"Student {i:02d}", name=f"student{i:02d}", email=f"student{i:02d}@example.edu")
        for i in range(1, students + 1)
    ]
    return sb.add_channel(channel, [teacher, *people]), [teacher, *people]


def _transcript(sb: SlackSandbox) -> None:
    def show(sight: Sight) -> None:
        ws = sb.workspace
        m = sight.message
        if m is not None and m.user == sb.bot.id and sight.kind is not SightKind.DELETED:
            ch = ws.channels.get(m.channel)
            where = (
                f"#{ch.name}" if ch and ch.kind.value.endswith("channel") else f"DM {ch.name if ch else ''}"
            )
            whom = ws.users[m.ephemeral_to].shown_name if m.ephemeral_to else None
            tag = f" (only {whom})" if whom else " (edited)" if sight.kind is SightKind.EDITED else ""
            print(f"[{where}]{tag} {shown(ws, m).text}", flush=True)
        elif sight.view_id is not None:
            view = sb.modals.views.get(sight.view_id)
            if view is not None:
                print(
                    f"({ws.users[view.user].shown_name}: modal {view.title!r} {sight.kind.value})", flush=True
                )

    sb.workspace.listeners.append(show)


async def _typed(sb: SlackSandbox, channel: Channel, line: str) -> None:
    who, _, rest = line.strip().partition(" ")
    command, _, text = rest.strip().partition(" ")
    if not command.startswith("/"):
        print("type: MEMBER /command text   (e.g. teacher /session status)", flush=True)
        return
    try:
        seen = await sb.member(who).command(command, text, channel=channel, timeout=10)
    except (LookupError, TimeoutError, CommandError) as e:
        print(f"! {e}", flush=True)
        return
    print(f"({who} saw) {seen.text}", flush=True)


async def serve(args: argparse.Namespace) -> None:
    """Run the sandbox until interrupted."""
    sb = SlackSandbox(team_name=args.team)
    await sb.start(args.port)
    try:
        channel, people = populate(sb, args.students, args.channel)
        print(f"Slack sandbox on {sb.base_url}", flush=True)
        print(f"  AsyncWebClient(base_url=...): {sb.api_url}", flush=True)
        for key, value in sb.env().items():
            print(f"  {key}={value}", flush=True)
        print(
            f"  workspace {sb.workspace.team.name} ({sb.workspace.team.id}), class channel #{channel.name}",
            flush=True,
        )
        print("  members: " + ", ".join(p.user.name for p in people), flush=True)
        print("Type `MEMBER /command text` to run a command; Ctrl-C stops.", flush=True)
        _transcript(sb)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        reader = loop.create_task(_read_lines(sb, channel))
        await stop.wait()
        reader.cancel()
    finally:
        await sb.close()


async def _read_lines(sb: SlackSandbox, channel: Channel) -> None:
    """Run each line typed (or piped in) as a member's command, until the input ends."""
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader()
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or sys.stdin.isatty()):
        return  # /dev/null or a file: serve without input
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin)
    except (ValueError, OSError):
        return  # input is a plain file or closed: serve without it
    tasks: set[asyncio.Task[None]] = set()
    while line := (await stream.readline()).decode():
        if line.strip():
            task = loop.create_task(_typed(sb, channel, line))
            tasks.add(task)
            task.add_done_callback(tasks.discard)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))
