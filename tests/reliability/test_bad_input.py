"""Bad input at and past the limits: slash-command options, slide links, CSV rosters (fuzzed too).

Each gets a clear ephemeral answer (never the "something went wrong" apology), nothing half-stored,
and the bot still answers afterwards. Malformed configurations are fuzzed in tests/core/test_config.py
(mutated shipped configs, random documents, random text, spliced text: only ConfigError is raised).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.roster import MAX_ROWS, decode, parse_roster
from bot.storage.models import RosterEntry, Submission
from discord_sandbox import Sandbox
from tests.e2e.conftest import Classroom

pytestmark = pytest.mark.e2e
APOLOGY = "something went wrong on my side"


def ends(text: str) -> str:
    return text.split("Session ends", 1)[1].split()[0]


async def count(room: Classroom, model: type) -> int:
    assert room.bot is not None
    async with room.bot.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_extend_past_every_limit_is_refused_clearly_and_leaves_the_clock_alone(
    classroom: Classroom,
) -> None:
    room, teacher = classroom, classroom.instructor
    await room.run(teacher, "session start", plan="afternoon")
    before = ends((await room.run(teacher, "session status")).text)
    for minutes in (1e12, -1e12, 1441, -1e300, math.inf, -math.inf, math.nan):
        answer = await room.run(teacher, "session extend", minutes=minutes)
        assert answer.ephemeral and APOLOGY not in answer.text, (minutes, answer.text)
        assert "Done" not in answer.text, (minutes, answer.text)
        assert ends((await room.run(teacher, "session status")).text) == before, minutes
    assert "Now: **" in (await room.run(teacher, "session status")).text  # still answering


BAD_LINKS = [
    "https://slides.example.org/" + "a" * 5000,
    "https://slides.example.org/\x00\x07deck",
    "https://slides.example.org/deck\nhttps://evil.example.org",
    "\u202ehttps://slides.example.org/deck",
    "[click me](https://evil.example.org)",
    "**https://slides.example.org**",
    "<@&123> @everyone",
    "javascript:alert(1)",
    "",
    "   ",
    "https://",
    "`https://slides.example.org`",
]


async def test_slide_links_past_the_limits_get_a_clear_answer_and_nothing_is_stored(
    classroom: Classroom,
) -> None:
    room = classroom
    student = room.students[0]
    for url in BAD_LINKS:
        answer = await room.run(student, "submit slides", url=url)
        assert answer.ephemeral and APOLOGY not in answer.text, (url[:40], answer.text)
        assert "Saved" not in answer.text and "Replaced" not in answer.text, (url[:40], answer.text)
        assert "@everyone" not in (answer.messages[-1].allowed_mentions or {}).get("parse", []), url[:40]
    assert await count(room, Submission) == 0
    assert "No session" in (await room.run(room.instructor, "session status")).text  # still answering


def csv(rows: list[str], header: str = "student id,name,discord") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


async def test_roster_files_with_wrong_columns_duplicates_and_10000_rows_store_nothing(
    classroom: Classroom, sandbox: Sandbox
) -> None:
    room, teacher = classroom, classroom.instructor
    good = [f"s{i:06d},Student {i},student{i:02d}" for i in range(1, 4)]
    first = await room.run(teacher, "roster import", file=sandbox.upload("class.csv", csv(good)))
    assert "Imported 3 student(s)" in first.text
    bad_files = {
        "wrong columns": csv(["1,2"], header="foo;bar"),
        "one column": b"just one column\nvalue\n",
        "duplicate ids": csv([*good, "s000001,Again,student05"]),
        "10,000 rows": csv([f"s{i:06d},Student {i},user{i}" for i in range(10_000)]),
        "binary": bytes(range(256)) * 40,
        "only a BOM": "\ufeff".encode(),
        "markup and controls": csv(["s9,**bold** <@&1> @everyone \x00\x1b[31m,student06", "s9,X,student07"]),
    }
    for what, data in bad_files.items():
        answer = await room.run(teacher, "roster import", file=sandbox.upload("class.csv", data))
        assert answer.ephemeral and answer.answered, what
        assert APOLOGY not in answer.text, (what, answer.text)
        assert (
            "Nothing was imported" in answer.text
            or "at most" in answer.text
            or "empty" in answer.text.lower()
        ), (
            what,
            answer.text[:300],
        )
        assert await count(room, RosterEntry) == 3, what  # the earlier list, whole
    big = [f"s{i:06d},Student {i},user{i}" for i in range(MAX_ROWS - 1)]
    bom = b"\xef\xbb\xbf" + csv(big)
    answer = await room.run(teacher, "roster import", file=sandbox.upload("class.csv", bom))
    assert f"Imported {MAX_ROWS - 1} student(s)" in answer.text, answer.text[:300]
    assert await count(room, RosterEntry) == MAX_ROWS - 1
    assert "Now" not in (await room.run(teacher, "session status")).text  # still answering


CELL = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "s1", "@student01", "<@1>", '"', ";"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(CELL, min_size=0, max_size=5), max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["", "\ufeff"]),
    st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_fuzzed_csv_rosters_give_rows_or_problems_never_a_crash(
    rows: list[list[str]], sep: str, bom: str, encoding: str
) -> None:
    text = bom + "\n".join(sep.join(r) for r in [["student id", "name", "discord"], *rows])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    try:
        parsed = parse_roster(decode(data))
    except Exception as error:  # a ConductorError with words is a clear answer; anything else is a crash
        from bot.core.errors import ConductorError

        assert isinstance(error, ConductorError), repr(error)
        return
    assert all(isinstance(p, str) and p for p in parsed.problems)
    if parsed.problems:
        return
    assert len({r.student_id for r in parsed.rows if r.student_id}) == len(
        [r for r in parsed.rows if r.student_id]
    )
