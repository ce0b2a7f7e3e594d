"""How fast role cards reach a big class on Slack: `python -m bench.bench_slack_cards [--students 300]`.

Starts the Slack sandbox with Slack's rate limits (`slack_sandbox/ratelimits.py`) and the real Slack
app (`SlackConductor`, as `python -m bot run --platform slack` builds it) in this process, puts the
students in #reading-group (papers added to the shipped config so they fit), runs `/session start`
and `/assign`, presses Confirm and measures:

* the `/assign` answer: acknowledged (Slack wants it within 3 s), then the preview shown;
* Confirm pressed to the last role card stored, against the fastest the sandbox's limits allow for the
  calls the card fan-out made. Each card is one `chat.postMessage` in the student's own DM, and Slack's
  per-channel rate (about 1 a second, a burst of 4) is per DM, so it never binds; what can bind is
  `conversations.open` (Tier 3: a burst of 50, then 50 a minute) when a card needs one, and the
  workspace-wide posting limit Slack does not publish (`--workspace-posts N` models one of N a minute);
* the whole Confirm (rooms included: `conversations.create` is Tier 2, a burst of 20 then 20 a minute,
  and one `conversations.invite`, Tier 3, per room) against the creates' Tier 2 bound.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.bench_cards import config
from bot.adapters.slack.frontend import SlackConductor
from bot.config import load_config
from bot.rehearse_slack import ACK, CONFIRM, actions, on_slack
from bot.settings import Settings
from slack_sandbox import Rate, RateLimits, SlackSandbox, Tier

SLACK = '\n[platform]\nname = "slack"\n\n[slack]\nclass_channel = "reading-group"\n'


def waited(calls: int, rate: Rate) -> float:
    """The least time `calls` calls take through a bucket of `rate` (its burst at once, then its rate)."""
    return max(0.0, calls - rate.burst) / (rate.per_minute / 60)


async def main(students: int, workspace_posts: float | None) -> None:
    """Run the benchmark once and print the figures."""
    limits = RateLimits(workspace_posts=Rate(workspace_posts, workspace_posts) if workspace_posts else None)
    tier3, tier2 = limits.tiers[Tier.TIER_3], limits.tiers[Tier.TIER_2]
    sb = SlackSandbox(rate_limits=limits)
    await sb.start()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = config(tmp, max(0, math.ceil(students / 14) - 4 + 1))
        path.write_text(path.read_text() + SLACK)
        course = on_slack(load_config(path))
        teacher = sb.add_user("Teacher", name="teacher-dimitrios", is_admin=True)
        people = [sb.add_user(f"Student {i:03d}", name=f"s{i:03d}") for i in range(students)]
        channel = sb.add_channel("reading-group", [teacher, *people])
        settings = Settings(
            _env_file=None,
            slack_bot_token=sb.bot_token,
            slack_app_token=sb.app_token,
            slack_api_base=sb.api_url,
            database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
            conductor_config=path,
        )
        app = SlackConductor(settings, course)
        await app.start()
        try:
            await teacher.command("/session", "start reading-group", channel, timeout=30)
            began = time.monotonic()
            asked = await teacher.command("/assign", "", channel, timeout=120)
            shown = time.monotonic() - began
            acked = (asked.envelope.acked_at or 0.0) - asked.envelope.created
            preview = next((r for r in reversed(asked.replies) if CONFIRM in actions(r.message)), None)
            if preview is None:
                raise SystemExit(f"no preview: {asked.text}")
            before = len(sb.requests)
            pressed = time.time()
            clicked = time.monotonic()
            await teacher.click(preview, CONFIRM, timeout=60)
            await sb.wait_for(
                lambda: any("Confirmed for" in e.text for e in teacher.ephemerals()),
                3600,
                "the Confirm report",
            )
            total = time.monotonic() - clicked
        finally:
            await app.close()
            await sb.close()
    cards = [float(m.ts) for p in people if p.dm is not None for m in sb.posts(p.dm) if ACK in actions(m)]
    calls = sb.requests[before:]
    made = Counter(c.method for c in calls)
    limited = Counter(c.method for c in calls if c.status == 429)
    to_members = sum(
        c.method == "chat.postMessage" and str(c.params.get("channel", "")).startswith("U") for c in calls
    )
    rooms = sum(c.method == "conversations.create" and c.ok for c in calls)
    opens = made["conversations.open"]
    fan_out = max(cards) - pressed
    bound = max(
        waited(opens, limits.methods.get("conversations.open") or tier3),
        waited(to_members, limits.workspace_posts) if limits.workspace_posts else 0.0,
    )
    print(f"students: {students}, role cards delivered: {len(cards)}")
    print(f"/assign answer: acknowledged in {acked * 1000:.0f} ms, preview shown in {shown * 1000:.0f} ms")
    print(
        f"cards: Confirm pressed -> last card stored: {fan_out:.2f} s (first card after {min(cards) - pressed:.2f} s); "
        f"fastest the limits allow for the calls made ({opens} conversations.open, {to_members} posts to a "
        f"member's id{', workspace posts ' + f'{workspace_posts:g}/min' if workspace_posts else ''}): {bound:.2f} s"
        + (f"; ratio {fan_out / bound:.2f}x" if bound else "; no published limit binds")
    )
    print(
        f"with one conversations.open per card, Tier 3 alone would allow {students} cards in no less than "
        f"{waited(students, tier3):.0f} s"
    )
    print(
        f"confirm pressed -> report ({rooms} rooms, all cards): {total:.2f} s; the rooms' creates alone need "
        f">= {waited(rooms, tier2):.0f} s (Tier 2)"
    )
    print(f"Web API calls during Confirm: {dict(made.most_common())}")
    print(f"429s: {sum(limited.values())} {dict(limited)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument(
        "--workspace-posts",
        type=float,
        default=None,
        help="model a workspace-wide chat.postMessage limit of N a minute (Slack publishes none)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.students, args.workspace_posts))
