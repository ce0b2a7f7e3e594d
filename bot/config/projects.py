"""`[[projects]]`, `[project_rules]`, `[[calendar]]` and `[calendar_reminders]`: checks, building, summary."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.checks import check_http_url, duplicates, tz_problem
from bot.config.messages import Reporter, describe
from bot.config.schema import ConfigModel
from bot.core.calendar import Entry, Kind
from bot.core.projects import ProjectRules, Proposal

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LEAD = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def parse_lead(value: str) -> dt.timedelta | None:
    """A lead time such as `2d`, `2h`, `30m` or `45s`, or None when unreadable."""
    m = _LEAD.match(value)
    return dt.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)]) if m else None


def fmt_lead(lead: dt.timedelta) -> str:
    """A lead time as people write it: `2d`, `2h`, `30m`, `45s`."""
    seconds = int(lead.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0 and seconds >= _UNITS[unit]:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def parse_date(value: Any) -> dt.date | None:
    """A TOML local date or a `YYYY-MM-DD` string."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_time(value: Any) -> dt.time | None:
    """A TOML local time or `HH:MM[:SS]`."""
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, str) and (m := _TIME.match(value.strip())):
        return dt.time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    return None


def parse_moment(value: Any, tz: ZoneInfo) -> dt.datetime | None:
    """A local `YYYY-MM-DD HH:MM` (or TOML local date-time, or a date meaning its end) as aware UTC."""
    if isinstance(value, dt.datetime):
        local = value if value.tzinfo else value.replace(tzinfo=tz)
        return local.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59), tzinfo=tz).astimezone(dt.UTC)
    if isinstance(value, str):
        text = value.strip().replace("T", " ")
        day, _, clock = text.partition(" ")
        d, t = parse_date(day), parse_time(clock) if clock else dt.time(23, 59)
        if d is not None and t is not None:
            return dt.datetime.combine(d, t, tzinfo=tz).astimezone(dt.UTC)
    return None


def build_projects(m: ConfigModel, rep: Reporter) -> dict[str, Any]:
    """The Course's `projects`, `project_rules`, `calendar` and `calendar_leads`, with every problem reported."""
    tz = ZoneInfo(m.course.timezone) if tz_problem(m.course.timezone) is None else ZoneInfo("UTC")
    out: dict[str, Any] = {}
    items = m.projects or []
    for i, j in duplicates(items, "key").items():
        rep.error(("projects", i, "key"), f"duplicate project key {items[i].key!r} (first is projects[{j}])")
    proposals = []
    teachers = {t.name for t in m.teachers or []}
    for i, p in enumerate(items):
        for j, name in enumerate(p.supervisors):
            if m.teachers is not None and name not in teachers:
                rep.warn(
                    ("projects", i, "supervisors", j),
                    f"supervisor {name!r} is not in [[teachers]]: they will not be added to the group's room",
                )
        if p.link is not None and (problem := check_http_url(p.link)):
            rep.error(("projects", i, "link"), problem)
        if len(p.description) > 1000:
            rep.error(("projects", i, "description"), "keep the description under 1000 characters")
        proposals.append(
            Proposal(p.key, p.title, tuple(p.supervisors), p.description.strip(), p.link, p.max_groups)
        )
    out["projects"] = tuple(proposals)
    out["project_rules"] = _rules(m, rep, tz, {p.key for p in m.phases})
    if items and out["project_rules"].lock_at is None:
        rep.warn(("project_rules",), "no lock deadline: students can change groups and choices until the end")
    out["calendar"] = _calendar(m, rep, tz)
    out["calendar_leads"] = _leads(m, rep)
    return out


def _rules(m: ConfigModel, rep: Reporter, tz: ZoneInfo, phases: set[str]) -> ProjectRules:
    r = m.project_rules
    if r is None:
        return ProjectRules()
    loc = ("project_rules",)
    if not r.min_size <= r.recommended_size <= r.max_size:
        rep.error(
            (*loc, "recommended_size"),
            f"sizes must satisfy min_size ({r.min_size}) <= recommended_size ({r.recommended_size}) "
            f"<= max_size ({r.max_size})",
        )
    lock = None
    if r.lock is not None and (lock := parse_moment(r.lock, tz)) is None:
        rep.error(
            (*loc, "lock"), f'must be a local date and time "2024-03-19 23:59" (got {describe(r.lock)})'
        )
    if r.phase is not None and r.phase not in phases:
        rep.error((*loc, "phase"), f"unknown phase {r.phase!r}: not listed in [[phases]]")
    chat_time = None
    if r.chat_time is not None and (chat_time := parse_time(r.chat_time)) is None:
        rep.error((*loc, "chat_time"), f'must be a clock time "HH:MM" (got {describe(r.chat_time)})')
    if (r.chat_day is None) != (r.chat_time is None):
        rep.error((*loc, "chat_day"), "set both chat_day and chat_time for the weekly supervisor chat")
    chat_lead = parse_lead(r.chat_lead)
    if chat_lead is None:
        rep.error((*loc, "chat_lead"), f'must be a lead time such as "1h" or "30m" (got {r.chat_lead!r})')
    until = None
    if r.chat_until is not None and (until := parse_date(r.chat_until)) is None:
        rep.error((*loc, "chat_until"), f'must be a date "2024-05-08" (got {describe(r.chat_until)})')
    return ProjectRules(
        min_size=r.min_size,
        recommended_size=r.recommended_size,
        max_size=r.max_size,
        own_allowed=r.own_proposals,
        lock_at=lock,
        phase=r.phase,
        nudge_days=tuple(sorted(set(r.nudge_days), reverse=True)),
        chat_weekday=WEEKDAYS.index(r.chat_day) if r.chat_day else None,
        chat_time=chat_time,
        chat_lead=chat_lead or dt.timedelta(hours=1),
        chat_until=until,
    )


def _calendar(m: ConfigModel, rep: Reporter, tz: ZoneInfo) -> tuple[Entry, ...]:
    out = []
    for i, c in enumerate(m.calendar or []):
        day = parse_date(c.date)
        if day is None:
            rep.error(("calendar", i, "date"), f'must be a date "2024-03-19" (got {describe(c.date)})')
            continue
        clock = None
        if c.time is not None and (clock := parse_time(c.time)) is None:
            rep.error(("calendar", i, "time"), f'must be a clock time "HH:MM" (got {describe(c.time)})')
            continue
        at = dt.datetime.combine(day, clock or dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)
        out.append(Entry(at, c.title, Kind(c.kind), c.who.strip(), all_day=clock is None, minutes=c.minutes))
    return tuple(sorted(out, key=lambda e: e.at))


def _leads(m: ConfigModel, rep: Reporter) -> dict[Kind, tuple[dt.timedelta, ...]]:
    from bot.config.schema import CalendarRemindersModel

    model = m.calendar_reminders or CalendarRemindersModel()
    out = {}
    for kind in Kind:
        leads = []
        for j, text in enumerate(getattr(model, kind.value)):
            lead = parse_lead(text)
            if lead is None or lead <= dt.timedelta():
                rep.error(
                    ("calendar_reminders", kind.value, j),
                    f'must be a lead time such as "2d", "2h", "30m" or "45s" (got {text!r})',
                )
            else:
                leads.append(lead)
        out[kind] = tuple(sorted(set(leads), reverse=True))
    return out


def summary_lines(course: Any) -> list[str]:
    """The check-config lines for the projects, their rules and the calendar."""
    tz = course.tz
    lines: list[str] = []
    if course.projects:
        r = course.project_rules
        lines += ["", f"Project proposals ({len(course.projects)}):"]
        for p in course.projects:
            lines.append(f"  {p.key}: {p.title} ({', '.join(p.supervisors)}; at most {p.max_groups} groups)")
        lock = f"{r.lock_at.astimezone(tz):%Y-%m-%d %H:%M}" if r.lock_at else "never"
        own = "allowed" if r.own_allowed else "not allowed"
        lines.append(
            f"Project groups: {r.min_size}..{r.max_size} students (recommended {r.recommended_size}); "
            f"own proposals {own}; choices lock {lock}; proposal cards on phase {r.phase or '(none)'}"
        )
        if r.chat_weekday is not None and r.chat_time is not None:
            lines.append(
                f"Weekly supervisor chat: {WEEKDAYS[r.chat_weekday].title()}s at {r.chat_time:%H:%M}, "
                f"reminded {fmt_lead(r.chat_lead)} before"
                + (f", until {r.chat_until}" if r.chat_until else "")
            )
        if r.nudge_days:
            lines.append(f"Nudges: {', '.join(str(d) for d in r.nudge_days)} day(s) before the lock")
    if course.calendar:
        lines += ["", f"Calendar ({len(course.calendar)} entries):"]
        for e in course.calendar:
            local = e.at.astimezone(tz)
            when = f"{local:%a %Y-%m-%d}" + ("" if e.all_day else f" {local:%H:%M}")
            who = f" ({e.who})" if e.who else ""
            lines.append(f"  {when}  {e.kind.value:<8} {e.title}{who}")
        leads = "; ".join(
            f"{k.value}: {', '.join(fmt_lead(x) for x in v)}" for k, v in course.calendar_leads.items() if v
        )
        lines.append(f"Calendar reminders: {leads or 'none'}")
    return lines
