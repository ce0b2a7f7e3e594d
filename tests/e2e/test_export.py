"""`/export` and `python -m bot export` write the same bytes, from the database alone: names, form answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.core.export import parse_students
from bot.storage.models import DisplayName
from discord_sandbox import Sandbox, SandboxLimits

from .conftest import Classroom, open_class, write_config
from .test_assign import confirm, seats
from .test_submissions import COLLECT, GOOD_SUMMARY, modal_fields

pytestmark = pytest.mark.e2e

SUMMARY = "=SUM(A1:A9) is what a spreadsheet would run from this cell. " + GOOD_SUMMARY
STRENGTHS = (
    "@everyone: a clear scaling study across model sizes and patch sizes, with compute measured in Gflops."
)
WEAKNESSES = "-1 for evaluating only class-conditional ImageNet: text-to-image generation is never tested in this paper."
JUSTIFICATION = "+1: très bien, a naïve idea that works; the résumé of results is convincing."
RENAMED = "Étudiant 07 — café"  # a display name with accents, set after seating
SEEN_AS = "Élève 08"  # another new name, first noticed when the student next uses a command
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened so 20 role cards go out quickly."""
    return SandboxLimits(dm_open_window=1.0)


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    """20 students in the shipped course, plan `collect`, no roster imported."""
    config = write_config(tmp_path, COLLECT, **{"warning_seconds = [120]": "warning_seconds = [1]"})
    room = await open_class(sandbox, tmp_path, config, students=20)
    try:
        yield room
    finally:
        await room.stop_bot()


async def eventually(check: Callable[[], object], what: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until an async check (e.g. of the database) holds, re-checking as the bot works."""
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[misc]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def stored_name(room: Classroom, user_id: int) -> str | None:
    assert room.bot is not None
    async with room.bot.db.session() as s:
        row = await s.get(DisplayName, (room.guild.id, user_id))
        return row.name if row is not None else None


async def test_export_and_the_command_line_write_the_same_bytes_with_names_and_guarded_form_columns(
    room: Classroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = room.instructor
    staff = room.guild.add_text_channel("staff")
    await room.run(teacher, "session start", channel=staff, plan="collect")
    await confirm(room, await room.run(teacher, "assign", channel=staff))
    placed = await seats(room)

    reviewer = next(s for s in room.students if placed[s.id] == ("dit", "reviewer"))
    opened = await room.run(reviewer, "review")
    assert list(modal_fields(opened)) == ["summary", "strengths", "weaknesses", "rating", "justification"]
    typed = {
        "summary": SUMMARY,
        "strengths": STRENGTHS,
        "weaknesses": WEAKNESSES,
        "rating": ["Weak Accept"],
        "justification": JUSTIFICATION,
    }
    filed = await room.sandbox.submit_modal(reviewer, opened, typed)
    await filed.wait_followup()
    assert "Submitted your Scientific Peer Reviewer form" in filed.text

    # A student seated as "Student 07" is renamed afterwards: the stored name follows.
    renamed = room.students[6]
    assert await stored_name(room, renamed.id) == "Student 07"  # stored when seated
    renamed.nick = RENAMED
    room.guild.set_roles(renamed, renamed.roles)  # GUILD_MEMBER_UPDATE with the new nick

    async def follows() -> bool:
        return await stored_name(room, renamed.id) == RENAMED

    await eventually(follows, "the stored display name to follow the new nick")

    # Another renames without the bot being told, and is seen under the new name at their next command.
    seen = room.students[7]
    seen.nick = SEEN_AS
    assert "Student 08" in str(await stored_name(room, seen.id))
    await room.run(seen, "myrole")

    async def noticed() -> bool:
        return await stored_name(room, seen.id) == SEEN_AS

    await eventually(noticed, "the stored display name to follow the name seen in an interaction")

    await room.run(teacher, "session stop", channel=staff)
    exported = await room.run(teacher, "export", channel=staff)
    attached = {a.filename: a.data for a in exported.messages[-1].attachments}
    assert sorted(attached) == ["session-1-report.md", "session-1.csv"]

    out = tmp_path / "export"
    monkeypatch.setenv("DATABASE_URL", str(room.settings.database_url))
    argv = ["export", "1", "--out", str(out), "--config", str(room.settings.conductor_config)]
    assert await asyncio.to_thread(cli_main, argv) == 0
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    assert written == attached  # byte for byte, both files

    data = attached["session-1.csv"]
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the accents right
    rows = parse_students(data.decode("utf-8"))
    columns = [f"{r.key}.{f.key}" for r in room.course.roles for f in r.fields]
    assert list(rows[0])[-len(columns) :] == columns
    assert "reviewer.summary" in columns and "archaeologist.older_title" in columns

    by_id = {int(r["discord_id"]): r for r in rows}
    assert set(by_id) == set(placed)
    for uid, row in by_id.items():
        member = room.guild.member(uid)
        assert member is not None and row["name"] == member.name  # the name, never "user 1576..."
        assert not row["name"].startswith("user ")
        for cell in row.values():
            assert not cell.startswith(FORMULA_STARTS), cell
    assert by_id[renamed.id]["name"] == RENAMED and by_id[seen.id]["name"] == SEEN_AS

    mine = by_id[reviewer.id]
    assert mine["reviewer.summary"] == "'" + SUMMARY
    assert mine["reviewer.strengths"] == "'" + STRENGTHS
    assert mine["reviewer.weaknesses"] == "'" + WEAKNESSES
    assert mine["reviewer.rating"] == "Weak Accept"
    assert mine["reviewer.justification"] == "'" + JUSTIFICATION
    assert all(mine[c] == "" for c in columns if not c.startswith("reviewer."))
    partners = {
        room.guild.member(u).name  # type: ignore[union-attr]
        for u, seat in placed.items()
        if seat == ("dit", "reviewer") and u != reviewer.id
    }
    assert set(filter(None, mine["partners"].split("; "))) == partners
    others = [r for uid, r in by_id.items() if uid != reviewer.id]
    assert all(r[c] == "" for r in others for c in columns)  # nobody else filed a form

    report = attached["session-1-report.md"].decode("utf-8")
    assert "## Deliverables" in report and "Weak Accept" in report and "très bien" in report
    assert RENAMED in report
