"""Course projects as files: `projects.csv` (one row per student) and `projects.md` (one section per group).

Pure: standard library only. Group names and titles are typed by students: no CSV cell can start a
spreadsheet formula, and the Markdown report shows what was typed without mentions or markdown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from bot.core.export import BOM, csv_cell, md_text
from bot.core.projects import ProjectState


def export_files(state: ProjectState, names: Mapping[int, str], students: Sequence[int]) -> dict[str, str]:
    """`projects.csv` (one row per student) and `projects.md` (one section per group)."""
    buf = io.StringIO()
    buf.write(BOM)  # Excel then reads accents right
    rows = csv.writer(buf, lineterminator="\r\n")

    def write(row: Sequence[object]) -> None:  # group names are typed by students: no cell runs as a formula
        rows.writerow([csv_cell(str(cell)) for cell in row])

    write(["user_id", "name", "group", "group_size", "project", "project_kind", "supervisors", "status"])
    grouped = set()
    for g in sorted(state.groups, key=lambda g: g.name.casefold()):
        title = state.proposal(g.proposal).title if g.proposal else (g.own.title if g.own else "")
        kind = "proposal" if g.proposal else ("own" if g.own else "")
        sup = ", ".join(state.proposal(g.proposal).supervisors) if g.proposal else ""
        for u in g.members:
            grouped.add(u)
            write([u, names.get(u, ""), g.name, len(g.members), title, kind, sup, g.status.value])
    for u in students:
        if u not in grouped:
            write([u, names.get(u, ""), "", 0, "", "", "", "no group"])
    md = ["# Course projects", ""]
    for g in sorted(state.groups, key=lambda g: g.name.casefold()):
        md.append(f"## {md_text(g.name)}")
        md.append("")
        md.append(
            f"- Members ({len(g.members)}): " + ", ".join(md_text(names.get(u, str(u))) for u in g.members)
        )
        if g.proposal:
            p = state.proposal(g.proposal)
            md.append(f"- Project: {p.title} (proposal `{p.key}`), supervisor(s): {', '.join(p.supervisors)}")
        elif g.own:
            md.append(f"- Own project ({g.own.status.value}): {md_text(g.own.title)}")
            md.append(f"  - Abstract: {md_text(' '.join(g.own.abstract.split()))}")
            if g.own.reason:
                md.append(f"  - Sent back: {md_text(g.own.reason)}")
        else:
            md.append("- Project: none yet")
        md.append("")
    md.append("## Proposals")
    md.append("")
    for p in state.proposals:
        md.append(f"- {p.title} ({', '.join(p.supervisors)}): {state.taken(p.key)} of {p.max_groups} places")
    alone = [md_text(names.get(u, str(u))) for u in students if u not in grouped]
    md += ["", f"## Students without a group ({len(alone)})", "", *(f"- {n}" for n in alone)]
    return {"projects.csv": buf.getvalue(), "projects.md": "\n".join(md) + "\n"}
