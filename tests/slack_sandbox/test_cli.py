"""`python -m slack_sandbox`: a rehearsal workspace another process connects to."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[2]


async def test_the_command_line_sandbox_prints_where_to_connect_and_runs_typed_commands() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "slack_sandbox", "--students", "2",
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        settings: dict[str, str] = {}
        while "SLACK_API_URL" not in settings:
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert line, "the sandbox exited before printing its settings"
            key, sep, value = line.strip().partition("=")
            if sep:
                settings[key] = value
        app = AsyncApp(
            client=AsyncWebClient(token=settings["SLACK_BOT_TOKEN"], base_url=settings["SLACK_API_URL"])
        )

        @app.command("/hello")
        async def hello(ack: Any, command: dict[str, Any]) -> None:
            await ack(f"Hello <@{command['user_id']}>")

        handler = AsyncSocketModeHandler(app, settings["SLACK_APP_TOKEN"])
        await handler.connect_async()
        proc.stdin.write(b"student01 /hello\n")
        await proc.stdin.drain()
        seen = ""
        while "saw" not in seen:
            seen = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert seen.strip() == "(student01 saw) Hello @Student 01"
        await handler.close_async()
    finally:
        proc.terminate()
        await proc.wait()
    assert proc.returncode == 0
