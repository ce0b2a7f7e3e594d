"""The cross-key rules of a structurally valid file, the Course they build, and the warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.config.checks import (
    check_http_url,
    duplicates,
    duration,
    fmt_clock,
    fmt_td,
    parse_clock,
    tz_problem,
)
from bot.config.errors import ConfigError, Loc
from bot.config.messages import Reporter, suggest
from bot.config.platform import chat_options
from bot.config.projects import build_projects
from bot.config.schema import ConfigModel, FieldModel
from bot.core.plan import (
    LABEL_MAX_CHARS,
    MODAL_MAX_FIELDS,
    SELECT_MAX_OPTIONS,
    SELECT_OPTION_MAX_CHARS,
    TEXT_INPUT_MAX_LENGTH,
    Course,
    Field,
    Paper,
    Phase,
    Plan,
    Role,
    Teacher,
    WebOptions,
    slots_needed,
)


class Builder:
    """Checks the cross-key rules of a structurally valid file and builds the Course."""

    def __init__(self, model: ConfigModel, rep: Reporter) -> None:
        self.m = model
        self.rep = rep

    def dup(self, section: str, items: Sequence[Any], attr: str, what: str) -> None:
        """Report every repeated `attr` in a section, pointing at the first one."""
        for i, j in duplicates(items, attr).items():
            first = self.rep.line((section, j))
            at = f" (first defined at line {first})" if first else f" (first is {section}[{j}])"
            self.rep.error((section, i, attr), f"duplicate {what} {getattr(items[i], attr)!r}{at}")

    def build(self) -> Course:
        """Check every cross-key rule and build the Course; raise ConfigError with all problems."""
        m, rep = self.m, self.rep
        if (problem := tz_problem(m.course.timezone)) is not None:
            rep.error(("course", "timezone"), problem)
        chat = chat_options(m, rep)

        s = m.session
        if s.ack_reminder_minutes is not None and s.ack_reminder_seconds is not None:
            rep.error(
                ("session", "ack_reminder_seconds"),
                "set ack_reminder_minutes or ack_reminder_seconds, not both",
            )
        if s.ack_reminder_minutes is None and s.ack_reminder_seconds is None:
            ack = dt.timedelta(minutes=10)
        else:
            ack = duration(s.ack_reminder_minutes, s.ack_reminder_seconds)
        offsets = tuple(dt.timedelta(seconds=x) for x in sorted(set(s.warning_seconds), reverse=True))

        teachers = self.teachers()
        papers = self.papers({t.name for t in teachers} if m.teachers is not None else None)
        roles = self.roles()
        phases = self.phases()
        plans = self.plans(phases)

        default_plan = s.default_plan
        if default_plan is None:
            default_plan = next(iter(m.plans))
        elif default_plan not in m.plans:
            rep.error(
                ("session", "default_plan"),
                f"no plan named {default_plan!r}{suggest(default_plan, m.plans)}; "
                f"plans: {', '.join(m.plans)}",
            )

        web = None
        if m.web is not None:
            if m.web.public_url is not None and (problem := check_http_url(m.web.public_url)):
                rep.error(("web", "public_url"), problem)
            web = WebOptions(host=m.web.host, port=m.web.port, public_url=m.web.public_url)

        projects = build_projects(m, rep)
        if rep.problems:
            raise ConfigError(rep.problems, rep.path)
        return Course(
            **projects,
            name=m.course.name,
            timezone=m.course.timezone,
            **chat,
            default_plan=default_plan,
            warning_offsets=offsets,
            ack_reminder=ack,
            slides_per=s.slides_per,
            teachers=teachers,
            papers=papers,
            roles=roles,
            phases={p.key: p for p in phases},
            plans=plans,
            web=web,
        )

    def teachers(self) -> tuple[Teacher, ...]:
        """The `[[teachers]]`, checked for duplicates."""
        items = self.m.teachers or []
        self.dup("teachers", items, "name", "teacher")
        return tuple(Teacher(name=t.name, discord=t.discord) for t in items)

    def papers(self, teacher_names: set[str] | None) -> tuple[Paper, ...]:
        """The `[[papers]]`, with their teachers resolved by name."""
        items = self.m.papers
        self.dup("papers", items, "key", "paper key")
        out = []
        for i, p in enumerate(items):
            if (problem := check_http_url(p.link)) is not None:
                self.rep.error(("papers", i, "link"), problem)
            if teacher_names is not None:
                for j, name in enumerate(p.teachers):
                    if name not in teacher_names:
                        self.rep.error(
                            ("papers", i, "teachers", j),
                            f"unknown teacher {name!r}: not listed in [[teachers]]"
                            f"{suggest(name, teacher_names)}",
                        )
            out.append(Paper(key=p.key, title=p.title, link=p.link, teachers=tuple(p.teachers)))
        return tuple(out)

    def roles(self) -> tuple[Role, ...]:
        """The `[[roles]]` with their forms, checked against Discord's modal limits."""
        items = self.m.roles
        self.dup("roles", items, "key", "role key")
        out = []
        for i, r in enumerate(items):
            loc: Loc = ("roles", i)
            if r.min > r.max:
                self.rep.error((*loc, "min"), f"min ({r.min}) is greater than max ({r.max})")
            if len(r.fields) > MODAL_MAX_FIELDS:
                self.rep.error(
                    (*loc, "fields", MODAL_MAX_FIELDS),
                    f"role {r.key!r} has {len(r.fields)} fields; a Discord modal holds at most "
                    f"{MODAL_MAX_FIELDS}",
                )
            for a, b in duplicates(r.fields, "key").items():
                self.rep.error(
                    (*loc, "fields", a, "key"),
                    f"duplicate field key {r.fields[a].key!r} in role {r.key!r} (first is fields[{b}])",
                )
            fields = tuple(self.field((*loc, "fields", j), f) for j, f in enumerate(r.fields))
            out.append(
                Role(
                    key=r.key,
                    name=r.name,
                    plural=r.plural or f"{r.name}s",
                    brief=r.brief,
                    min=r.min,
                    max=r.max,
                    presents=r.presents,
                    fields=fields,
                )
            )
        return tuple(out)

    def field(self, loc: Loc, f: FieldModel) -> Field:
        """One form field of a role, with its length and sentence rules checked."""
        err = self.rep.error
        kind = f.kind or ("choice" if f.choices is not None else "text")
        if len(f.label) > LABEL_MAX_CHARS:
            err(
                (*loc, "label"),
                f"is {len(f.label)} characters; a Discord text input label holds at most {LABEL_MAX_CHARS}",
            )
        if kind == "choice":
            if not f.choices:
                err(
                    (*loc, "choices") if f.choices is not None else (*loc, "kind"),
                    'a kind = "choice" field needs a non-empty choices = [...] list',
                )
            else:
                if len(f.choices) > SELECT_MAX_OPTIONS:
                    err(
                        (*loc, "choices"),
                        f"has {len(f.choices)} choices; Discord allows at most {SELECT_MAX_OPTIONS}",
                    )
                seen: set[str] = set()
                for j, c in enumerate(f.choices):
                    if len(c) > SELECT_OPTION_MAX_CHARS:
                        err(
                            (*loc, "choices", j),
                            f"choice is {len(c)} characters; Discord allows at "
                            f"most {SELECT_OPTION_MAX_CHARS}",
                        )
                    if c in seen:
                        err((*loc, "choices", j), f"duplicate choice {c!r}")
                    seen.add(c)
            for name in ("style", "min_length", "max_length", "min_sentences", "max_sentences"):
                if name in f.model_fields_set:
                    err((*loc, name), f"does not apply to a choice field (kind = {kind!r})")
        elif f.choices is not None:
            err((*loc, "choices"), f'choices are only allowed with kind = "choice" (this field is {kind!r})')
        if kind == "url":
            for name in ("min_sentences", "max_sentences"):
                if name in f.model_fields_set:
                    err((*loc, name), 'only applies to kind = "text" fields')
        min_length = f.min_length if f.min_length is not None else 0
        max_length = f.max_length if f.max_length is not None else TEXT_INPUT_MAX_LENGTH
        if min_length > max_length:
            err((*loc, "min_length"), f"min_length ({min_length}) is greater than max_length ({max_length})")
        if f.min_sentences is not None and f.max_sentences is not None and f.min_sentences > f.max_sentences:
            err(
                (*loc, "min_sentences"),
                f"min_sentences ({f.min_sentences}) is greater than max_sentences ({f.max_sentences})",
            )
        return Field(
            key=f.key,
            label=f.label,
            style=f.style,
            kind=kind,
            choices=tuple(f.choices or ()),
            min_length=min_length,
            max_length=max_length,
            min_sentences=f.min_sentences,
            max_sentences=f.max_sentences,
            required=f.required,
        )

    def phases(self) -> list[Phase]:
        """The `[[phases]]`, each with exactly one of minutes or seconds."""
        items = self.m.phases
        self.dup("phases", items, "key", "phase key")
        out = []
        for i, p in enumerate(items):
            loc: Loc = ("phases", i)
            if p.minutes is None and p.seconds is None:
                self.rep.error(loc, f"phase {p.key!r} needs minutes = N or seconds = N")
            elif p.minutes is not None and p.seconds is not None:
                self.rep.error((*loc, "seconds"), "set minutes or seconds, not both")
            has_slot = p.slot_minutes is not None or p.slot_seconds is not None
            slot: dt.timedelta | None = None
            if p.kind == "presentation":
                if not has_slot:
                    self.rep.error(
                        loc, f"presentation phase {p.key!r} needs slot_minutes = N or slot_seconds = N"
                    )
                elif p.slot_minutes is not None and p.slot_seconds is not None:
                    self.rep.error((*loc, "slot_seconds"), "set slot_minutes or slot_seconds, not both")
                else:
                    slot = duration(p.slot_minutes, p.slot_seconds)
            elif has_slot:
                name = "slot_minutes" if p.slot_minutes is not None else "slot_seconds"
                self.rep.error(
                    (*loc, name), f'only applies to kind = "presentation" phases (this one is {p.kind!r})'
                )
            out.append(
                Phase(
                    key=p.key,
                    name=p.name,
                    duration=duration(p.minutes, p.seconds),
                    audience=p.audience,
                    kind=p.kind,
                    text=p.text.strip(),
                    collect_slides=p.collect_slides,
                    slot=slot,
                )
            )
        return out

    def plans(self, phases: list[Phase]) -> dict[str, Plan]:
        """The `[plans.NAME]` run-of-shows, made of known phases."""
        by_key: dict[str, Phase] = {}
        for p in phases:
            by_key.setdefault(p.key, p)
        out: dict[str, Plan] = {}
        for name, pm in self.m.plans.items():
            loc: Loc = ("plans", name)
            times: dict[str, dt.time | None] = {"start": None, "end": None}
            for which in ("start", "end"):
                value = getattr(pm, which)
                if value is None:
                    continue
                parsed = parse_clock(value)
                if isinstance(parsed, str):
                    self.rep.error((*loc, which), parsed)
                else:
                    times[which] = parsed
            start, end = times["start"], times["end"]
            if pm.end is not None and pm.start is None:
                self.rep.error((*loc, "end"), "an end time needs a start time")
            if start is not None and end is not None and end <= start:
                self.rep.error((*loc, "end"), f"end {fmt_clock(end)} must be after start {fmt_clock(start)}")
            chosen: list[Phase] = []
            seen: dict[str, int] = {}
            for j, key in enumerate(pm.phases):
                if key in seen:
                    self.rep.error(
                        (*loc, "phases", j),
                        f"phase {key!r} appears twice in the plan (also at phases[{seen[key]}]); "
                        "give each occurrence its own [[phases]] entry",
                    )
                    continue
                seen[key] = j
                phase = by_key.get(key)
                if phase is None:
                    self.rep.error((*loc, "phases", j), f"unknown phase {key!r}{suggest(key, by_key)}")
                    continue
                chosen.append(phase)
            out[name] = Plan(name=name, phases=tuple(chosen), start=start, end=end)
        return out


def add_warnings(course: Course, rep: Reporter, model: ConfigModel) -> None:
    """Add the non-fatal findings: plan overruns and gaps, short presentations, unused phases."""
    for name, plan in course.plans.items():
        if plan.start is None or plan.end is None:
            continue
        day = dt.date(2000, 1, 1)
        start = dt.datetime.combine(day, plan.start)
        budget = dt.datetime.combine(day, plan.end) - start
        finish = start + plan.total
        clock = finish.strftime("%H:%M:%S" if finish.second else "%H:%M")
        if finish.date() != day:
            clock += " the next day"
        span = f"from {fmt_clock(plan.start)} to {clock}"
        if plan.total > budget:
            rep.warn(
                ("plans", name, "end"),
                f"plan {name!r} runs {fmt_td(plan.total)} {span}, overrunning its end "
                f"{fmt_clock(plan.end)} by {fmt_td(plan.total - budget)}",
            )
        elif plan.total < budget:
            rep.warn(
                ("plans", name, "end"),
                f"plan {name!r} runs {fmt_td(plan.total)} {span}, leaving a {fmt_td(budget - plan.total)} "
                f"gap before its end {fmt_clock(plan.end)}",
            )

    presenting = course.presenting_roles
    papers = len(course.papers)
    index = {p.key: i for i, p in enumerate(model.phases)}
    for phase in course.phases.values():
        if not phase.is_presentation or phase.slot is None:
            continue
        need = slots_needed(course, phase)
        if need > phase.duration:
            rep.warn(
                (
                    "phases",
                    index[phase.key],
                    "minutes" if model.phases[index[phase.key]].minutes else "seconds",
                ),
                f"phase {phase.key!r} lasts {fmt_td(phase.duration)} but {papers} papers x "
                f"{len(presenting)} presenting roles x {fmt_td(phase.slot)} need {fmt_td(need)}",
            )
    if not presenting:
        rep.warn(("roles",), "no role has presents = true, so presentation phases have no slots")
    if sum(r.min for r in course.roles) == 0:
        rep.warn(("roles",), "every role has min = 0, so a paper group may end up with no students")

    used = {p.key for plan in course.plans.values() for p in plan.phases}
    for key in course.phases:
        if key not in used:
            rep.warn(("phases", index[key]), f"phase {key!r} is not used by any plan")
