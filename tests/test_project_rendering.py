"""Project views stay within Discord's limits however big the class, and show typed text inert."""

from __future__ import annotations

import csv
import io

from bot.adapters.discord.answers.projects import status_pages
from bot.adapters.discord.render import stored_payload
from bot.core.projects import Group, OwnProposal, ProjectRules, ProjectState, Proposal
from bot.core.projects_export import export_files
from bot.messages.projects import proposal_posts

PROPOSALS = tuple(Proposal(f"p{i}", f"Proposal {i}: " + "x" * 90, ("Aasa",), "d" * 900) for i in range(30))


def test_status_of_a_big_class_fits_in_messages_under_the_limits() -> None:
    groups = tuple(
        Group(
            i,
            f"Group {i} " + "n" * 50,
            f"C{i:05d}",
            tuple(10**17 + i * 10 + k for k in range(4)),
            f"p{i % 30}",
        )
        for i in range(60)
    )
    pages = status_pages(ProjectState(PROPOSALS, ProjectRules(), groups), [10**18 + i for i in range(200)])
    assert len(pages) > 1
    for page in pages:
        assert len(page) <= 10 and sum(len(e) for e in page) <= 6000
        assert all(len(e.description or "") <= 4096 for e in page)
    text = "\n".join(e.description or "" for page in pages for e in page)
    assert all(f"Group {i} " in text for i in range(60))


def test_typed_text_is_inert_and_cards_fit_in_posts() -> None:
    own = OwnProposal("@everyone **now** <@123>", "abstract")
    state = ProjectState(PROPOSALS, ProjectRules(), (Group(1, "_x_ @here", "AAAAAA", (5,), None, own),))
    shown = "\n".join(
        str(f.value) + (e.description or "") for p in status_pages(state, [5]) for e in p for f in e.fields
    )
    shown += "".join(e.description or "" for p in status_pages(state, [5]) for e in p)
    assert "@\u200beveryone \\*\\*now\\*\\*" in shown and "\\_x\\_ @\u200bhere" in shown
    posts = [stored_payload(p) for p in proposal_posts(state)]
    assert sum(len(p["embeds"]) for p in posts) == 30
    for post in posts:
        assert len(post["embeds"]) <= 10
        assert (
            sum(len(str(e.get("title", ""))) + len(str(e.get("description", ""))) for e in post["embeds"])
            < 6000
        )


def test_the_export_guards_every_typed_cell_and_escapes_the_report() -> None:
    own = OwnProposal('=HYPERLINK("https://evil.example")', "+cmd|' /C calc'!A0")
    group = Group(1, "@SUM(1+1) <@&42>", "AAAAAA", (5,), None, own)
    files = export_files(ProjectState(PROPOSALS, ProjectRules(), (group,)), {5: "-Ada"}, [5, 6])
    table = files["projects.csv"]
    assert table.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(table.removeprefix("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert (
        "'@SUM(1+1) <@&42>" in cells and "'-Ada" in cells and '\'=HYPERLINK("https://evil.example")' in cells
    )
    assert not any(cell and cell[0] in "=+-@\t\r" for cell in cells)
    assert "<@&42>" not in files["projects.md"]  # the report pings nobody when pasted into a chat
