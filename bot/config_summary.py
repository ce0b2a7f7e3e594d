"""The `check-config` report: a readable summary of a validated configuration and its warnings."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, check_config
from bot.config.projects import summary_lines
from bot.core.durations import duration
from bot.core.plan import TEXT_INPUT_MAX_LENGTH, Course, Plan, slot_count, slots_needed


def _fmt_td(td: dt.timedelta) -> str:
    """Format a duration as "50 min", "1 min 30 s", "45 s" (hours are shown as minutes)."""
    return duration(td, exact=True, hours=False)


def _fmt_offset(base: dt.datetime, offset: dt.timedelta, seconds: bool) -> str:
    """Format the wall-clock time `offset` after `base`, marking later days with +Nd."""
    at = base + offset
    text = at.strftime("%H:%M:%S" if seconds else "%H:%M")
    days = (at.date() - base.date()).days
    return f"{text}+{days}d" if days else text


def _plan_lines(course: Course, plan: Plan) -> list[str]:
    """The lines describing one plan: its phases with clock times, total and slot counts."""
    base = dt.datetime.combine(dt.date(2000, 1, 1), plan.start or dt.time(0, 0))
    seconds = any(p.duration.total_seconds() % 60 for p in plan.phases)
    default = " (default)" if plan.name == course.default_plan else ""
    window = ""
    if plan.start is not None:
        window = f", {plan.start:%H:%M}" + (f"-{plan.end:%H:%M}" if plan.end is not None else "")
    lines = [f"Plan {plan.name!r}{default}{window}:"]
    offset = dt.timedelta()
    width = max((len(p.name) for p in plan.phases), default=0)
    for p in plan.phases:
        begin = _fmt_offset(base, offset, seconds)
        offset += p.duration
        end = _fmt_offset(base, offset, seconds)
        extras: list[str] = [p.audience]
        if p.kind != "activity":
            extras.insert(0, p.kind)
        if p.collect_slides:
            extras.append("collects slides")
        line = f"  {begin}-{end}  {p.name:<{width}}  {_fmt_td(p.duration):>9}  [{p.key}: {', '.join(extras)}]"
        lines.append(line)
        if p.is_presentation and p.slot is not None:
            n = slot_count(course)
            lines.append(
                f"    {n} slots = {len(course.papers)} papers x {len(course.presenting_roles)} presenting "
                f"roles x {_fmt_td(p.slot)} = {_fmt_td(slots_needed(course, p))} of {_fmt_td(p.duration)}"
            )
    long = f" ({duration(plan.total, exact=True)})" if plan.total >= dt.timedelta(hours=1) else ""
    lines.append(f"  Total: {_fmt_td(plan.total)}{long}")
    return lines


def summarize(course: Course, plan_name: str | None = None, *, warnings: Sequence[str] = ()) -> str:
    """Return a readable report of `course` (all plans, or only `plan_name`) followed by `warnings`."""
    out = [f"Course: {course.name}", f"Time zone: {course.timezone}"]
    out.append(
        f"Discord: class channel #{course.class_channel}, students @{course.student_role}, "
        f"instructors {', '.join('@' + r for r in course.instructor_roles)}"
        + (f", dev guild {course.dev_guild_id}" if course.dev_guild_id else "")
    )
    offsets = ", ".join(_fmt_td(o) for o in course.warning_offsets) or "none"
    out.append(
        f"Phase-end warnings: {offsets} before the end; ack reminder after {_fmt_td(course.ack_reminder)}"
    )
    plans = [course.plan(plan_name)] if plan_name is not None else list(course.plans.values())
    for plan in plans:
        out.append("")
        out.extend(_plan_lines(course, plan))

    out.append("")
    out.append(f"Papers ({len(course.papers)}):")
    for paper in course.papers:
        teachers = ", ".join(paper.teachers) or "no teacher"
        out.append(f"  {paper.key}: {paper.title} <{paper.link}> ({teachers})")

    out.append("")
    out.append(f"Roles ({len(course.roles)}, {len(course.presenting_roles)} presenting):")
    for role in course.roles:
        presents = "presents" if role.presents else "does not present"
        out.append(f"  {role.key}: {role.name}, {role.min}-{role.max} per paper, {presents}")
        if role.fields:
            for f in role.fields:
                detail: str = f.kind if f.kind != "text" else f.style
                if f.kind == "choice":
                    detail += ": " + " / ".join(f.choices)
                elif f.min_length and f.max_length < TEXT_INPUT_MAX_LENGTH:
                    detail += f", {f.min_length}-{f.max_length} chars"
                elif f.min_length:
                    detail += f", at least {f.min_length} chars"
                elif f.max_length < TEXT_INPUT_MAX_LENGTH:
                    detail += f", up to {f.max_length} chars"
                if f.min_sentences is not None or f.max_sentences is not None:
                    detail += f", {f.min_sentences or 0}-{f.max_sentences or 'any'} sentences"
                if not f.required:
                    detail += ", optional"
                out.append(f"    - {f.label} ({detail})")
        else:
            out.append("    (no deliverable form)")

    lo, hi = course.seats_per_paper
    clo, chi = course.class_size_range
    out.append("")
    out.append(f"Seats per paper: {lo}..{hi}")
    out.append(f"Class size that fits: {clo}..{chi} students ({len(course.papers)} papers x {lo}..{hi})")

    out.extend(summary_lines(course))

    out.append("")
    if warnings:
        out.append(f"Warnings ({len(warnings)}):")
        out.extend(f"  {w}" for w in warnings)
    else:
        out.append("No warnings.")
    return "\n".join(out)


def main_check_config(path: str | Path = "config.toml", plan_name: str | None = None) -> int:
    """Print the check-config report for `path` (exit code 0) or its problems to stderr (exit code 2)."""
    try:
        course, warnings = check_config(path)
    except ConfigError as e:
        print(str(e), file=sys.stderr)
        return 2
    if plan_name is not None and plan_name not in course.plans:
        print(f"{path}: no plan named {plan_name!r}; plans: {', '.join(course.plans)}", file=sys.stderr)
        return 2
    print(summarize(course, plan_name, warnings=warnings))
    return 0
