"""Load and validate `config.toml` into the pure domain objects of `bot.core.plan`.

Structure and types are checked with pydantic v2 models (`extra="forbid"`, strict types); the rules that
span several keys (references, duplicates, exactly-one-of, Discord limits) are checked afterwards in
plain code. Every problem names the file, the key path (`phases[key=present].minutes`) and, where the
raw text tells, the line. Nothing here reads the environment: overrides belong to the settings layer.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import re
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic import Field as PydField

from bot.core.durations import duration
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
    slots_needed,
)

__all__ = ["ConfigError", "ConfigModel", "check_config", "load_config"]

Loc = tuple[str | int, ...]

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
_KEY_RE = re.compile(KEY_PATTERN)
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MAX_MINUTES = 24 * 60
_MAX_SECONDS = 24 * 60 * 60


class ConfigError(Exception):
    """The configuration is invalid; `problems` lists every problem found, one readable line each."""

    def __init__(self, problems: Sequence[str], path: str | Path | None = None) -> None:
        self.problems: list[str] = list(problems)
        self.path = str(path) if path is not None else None
        super().__init__(self.__str__())

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[str], str | None]]:
        return (ConfigError, (self.problems, self.path))

    def __str__(self) -> str:
        n = len(self.problems)
        where = f" in {self.path}" if self.path else ""
        head = f"{n} configuration problem{'s' if n != 1 else ''}{where}:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


# ---------------------------------------------------------------------------------------------------
# Pydantic models: the file's structure and value types.

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Minutes = Annotated[int, PydField(gt=0, le=_MAX_MINUTES)]
Seconds = Annotated[int, PydField(gt=0, le=_MAX_SECONDS)]

_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True)


class CourseSection(BaseModel):
    """`[course]`."""

    model_config = _MODEL_CONFIG
    name: Text
    timezone: Text


class DiscordSection(BaseModel):
    """`[discord]`."""

    model_config = _MODEL_CONFIG
    instructor_roles: Annotated[list[Text], PydField(min_length=1)]
    student_role: Text
    class_channel: Text
    dev_guild_id: Annotated[int, PydField(gt=0)] | None = None
    api_base: Text | None = None
    gateway_url: Text | None = None


class SessionSection(BaseModel):
    """`[session]`."""

    model_config = _MODEL_CONFIG
    default_plan: Key | None = None
    warning_seconds: list[Seconds] = PydField(default_factory=lambda: [120])
    ack_reminder_minutes: Minutes | None = None
    ack_reminder_seconds: Seconds | None = None
    slides_per: Literal["paper", "role"] = "paper"


class TeacherModel(BaseModel):
    """One `[[teachers]]` entry."""

    model_config = _MODEL_CONFIG
    name: Text
    discord: Text


class PaperModel(BaseModel):
    """One `[[papers]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    title: Text
    link: Text
    teachers: list[Text] = PydField(default_factory=list)


class FieldModel(BaseModel):
    """One `[[roles.fields]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    label: Text
    style: Literal["short", "long"] = "short"
    kind: Literal["text", "url", "choice"] | None = None
    choices: list[Text] | None = None
    min_length: Annotated[int, PydField(ge=0, le=TEXT_INPUT_MAX_LENGTH)] | None = None
    max_length: Annotated[int, PydField(ge=1, le=TEXT_INPUT_MAX_LENGTH)] | None = None
    min_sentences: Annotated[int, PydField(ge=0, le=1000)] | None = None
    max_sentences: Annotated[int, PydField(ge=1, le=1000)] | None = None
    required: bool = True


class RoleModel(BaseModel):
    """One `[[roles]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    name: Text
    plural: Text | None = None
    brief: Text
    min: Annotated[int, PydField(ge=0, le=1000)]
    max: Annotated[int, PydField(ge=1, le=1000)]
    presents: bool = False
    fields: list[FieldModel] = PydField(default_factory=list)


class PhaseModel(BaseModel):
    """One `[[phases]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    name: Text
    minutes: Minutes | None = None
    seconds: Seconds | None = None
    audience: Literal["class", "groups", "partners"] = "class"
    kind: Literal["activity", "break", "presentation"] = "activity"
    text: str = ""
    collect_slides: bool = False
    slot_minutes: Minutes | None = None
    slot_seconds: Seconds | None = None


class PlanModel(BaseModel):
    """One `[plans.NAME]` table (start/end are checked by hand: "HH:MM" strings or TOML local times)."""

    model_config = _MODEL_CONFIG
    start: Any = None
    end: Any = None
    phases: Annotated[list[str], PydField(min_length=1)]


class ConfigModel(BaseModel):
    """The whole file."""

    model_config = _MODEL_CONFIG
    course: CourseSection
    discord: DiscordSection
    session: SessionSection = PydField(default_factory=SessionSection)
    teachers: list[TeacherModel] | None = None
    papers: Annotated[list[PaperModel], PydField(min_length=1)]
    roles: Annotated[list[RoleModel], PydField(min_length=1)]
    phases: Annotated[list[PhaseModel], PydField(min_length=1)]
    plans: Annotated[dict[Key, PlanModel], PydField(min_length=1)]


# ---------------------------------------------------------------------------------------------------
# Line numbers: tomllib gives no positions for values, so scan the (already valid) raw text.


class _LineIndex:
    """Maps key paths such as ("phases", 3, "minutes") to 1-based line numbers of a TOML document."""

    _BARE = re.compile(r"[A-Za-z0-9_-]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.lines: dict[Loc, int] = {}
        self.aot: dict[Loc, int] = {}
        try:
            self._scan()
        except Exception:  # best effort: keep whatever was indexed before the scanner got lost
            pass

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest indexed ancestor; None when nothing matches."""
        for n in range(len(loc), 0, -1):
            line = self.lines.get(loc[:n])
            if line is not None:
                return line
        return None

    # -- scanning ------------------------------------------------------------------------------------

    def _line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def _skip(self, pos: int, newlines: bool = True) -> int:
        t = self.text
        while pos < len(t):
            c = t[pos]
            if c in " \t\r" or (newlines and c == "\n"):
                pos += 1
            elif c == "#":
                end = t.find("\n", pos)
                pos = len(t) if end < 0 else end
            else:
                break
        return pos

    def _eol(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end + 1

    def _scan(self) -> None:
        t = self.text
        pos = 0
        current: Loc = ()
        while True:
            pos = self._skip(pos)
            if pos >= len(t):
                return
            start = pos
            if t.startswith("[[", pos):
                parts, pos = self._key(pos + 2)
                parent = self._resolve(parts[:-1])
                table = (*parent, parts[-1])
                idx = self.aot.get(table, 0)
                self.aot[table] = idx + 1
                current = (*table, idx)
                self.lines.setdefault(table, self._line(start))
                self.lines[current] = self._line(start)
                pos = self._eol(pos)
            elif t[pos] == "[":
                parts, pos = self._key(pos + 1)
                current = self._resolve(parts)
                self.lines.setdefault(current, self._line(start))
                pos = self._eol(pos)
            else:
                parts, pos = self._key(pos)
                path = (*current, *parts)
                self.lines[path] = self._line(start)
                pos = self._skip(pos, newlines=False)
                if pos < len(t) and t[pos] == "=":
                    pos = self._value(self._skip(pos + 1, newlines=False), path)
            if pos <= start:  # never loop forever on text the scanner does not understand
                pos = start + 1

    def _resolve(self, parts: Sequence[str]) -> Loc:
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            n = self.aot.get(tuple(out))
            if n:
                out.append(n - 1)
        return tuple(out)

    def _key(self, pos: int) -> tuple[list[str], int]:
        t = self.text
        parts: list[str] = []
        while pos < len(t):
            pos = self._skip(pos, newlines=False)
            if pos >= len(t):
                break
            c = t[pos]
            if c in "\"'":
                end = self._string(pos)
                raw = t[pos:end]
                try:
                    parts.append(tomllib.loads(f"k = {raw}")["k"])
                except tomllib.TOMLDecodeError:
                    parts.append(raw.strip("\"'"))
                pos = end
            else:
                m = self._BARE.match(t, pos)
                if not m:
                    break
                parts.append(m.group())
                pos = m.end()
            pos = self._skip(pos, newlines=False)
            if pos < len(t) and t[pos] == ".":
                pos += 1
                continue
            break
        return parts, pos

    def _string(self, pos: int) -> int:
        """Return the position just after the string literal starting at `pos`."""
        t = self.text
        for q in ('"""', "'''"):
            if t.startswith(q, pos):
                p = pos + 3
                while True:
                    end = t.find(q, p)
                    if end < 0:
                        return len(t)
                    if q == '"""':
                        backslashes = 0
                        k = end - 1
                        while k >= p and t[k] == "\\":
                            backslashes += 1
                            k -= 1
                        if backslashes % 2:
                            p = end + 1
                            continue
                    end += 3
                    extra = 0
                    while extra < 2 and end < len(t) and t[end] == q[0]:
                        end += 1
                        extra += 1
                    return end
        q = t[pos]
        p = pos + 1
        while p < len(t) and t[p] != "\n":
            if q == '"' and t[p] == "\\":
                p += 2
                continue
            if t[p] == q:
                return p + 1
            p += 1
        return p

    def _value(self, pos: int, path: Loc) -> int:
        t = self.text
        if pos >= len(t):
            return pos
        c = t[pos]
        if c in "\"'":
            return self._string(pos)
        if c == "[":
            pos += 1
            idx = 0
            while pos < len(t):
                pos = self._skip(pos)
                if pos >= len(t) or t[pos] == "]":
                    return pos + 1
                elem = (*path, idx)
                self.lines[elem] = self._line(pos)
                before = pos
                pos = self._skip(self._value(pos, elem))
                if pos < len(t) and t[pos] == ",":
                    pos += 1
                idx += 1
                if pos <= before:
                    return pos + 1
            return pos
        if c == "{":
            pos += 1
            while pos < len(t):
                pos = self._skip(pos, newlines=False)
                if pos >= len(t) or t[pos] == "}":
                    return pos + 1
                before = pos
                parts, pos = self._key(pos)
                sub = (*path, *parts)
                self.lines[sub] = self._line(before)
                pos = self._skip(pos, newlines=False)
                if pos < len(t) and t[pos] == "=":
                    pos = self._value(self._skip(pos + 1, newlines=False), sub)
                pos = self._skip(pos, newlines=False)
                if pos < len(t) and t[pos] == ",":
                    pos += 1
                if pos <= before:
                    return pos + 1
            return pos
        m = re.compile(r"[^,\]}\n#]*").match(t, pos)
        return m.end() if m else pos + 1


# ---------------------------------------------------------------------------------------------------
# Reporting helpers.


class _Reporter:
    """Turns key paths into `file:line: path: message` lines."""

    def __init__(self, path: str | Path, raw: Any, index: _LineIndex | None) -> None:
        self.path = str(path)
        self.raw = raw
        self.index = index
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def line(self, loc: Loc) -> int | None:
        return self.index.line_of(loc) if self.index else None

    def human(self, loc: Loc) -> str:
        out = ""
        node: Any = self.raw
        for part in loc:
            if isinstance(part, int):
                label = f"[{part}]"
                if isinstance(node, list) and 0 <= part < len(node):
                    item = node[part]
                    ident = "name" if out.endswith("teachers") else "key"
                    value = item.get(ident) if isinstance(item, dict) else None
                    if isinstance(value, str) and _KEY_RE.match(value.replace(" ", "-")):
                        same = [x for x in node if isinstance(x, dict) and x.get(ident) == value]
                        if len(same) == 1:
                            label = f"[{ident}={value}]"
                    node = item
                else:
                    node = None
                out += label
            else:
                text = str(part)
                if not _KEY_RE.match(text):
                    text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
                out += f".{text}" if out else text
                node = node.get(part) if isinstance(node, dict) else None
        return out or "(top level)"

    def format(self, loc: Loc, message: str) -> str:
        line = self.line(loc)
        where = f"{self.path}:{line}" if line else self.path
        return f"{where}: {self.human(loc)}: {message}"

    def error(self, loc: Loc, message: str) -> None:
        self.problems.append(self.format(loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        self.warnings.append(self.format(loc, message))


def _suggest(word: str, options: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for a close match among `options`, else ''."""
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _describe(value: Any) -> str:
    """A short, safe rendering of a TOML value for error messages."""
    kind = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"


def _strip_type(tp: Any) -> Any:
    """Remove Annotated and Optional wrappers from a type annotation."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys the model at `loc` accepts (for "did you mean")."""
    tp: Any = ConfigModel
    for part in loc:
        tp = _strip_type(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(part))
            if info is None:
                return []
            tp = info.annotation
        elif typing.get_origin(tp) in (list, dict):
            tp = typing.get_args(tp)[-1]
        else:
            return []
    tp = _strip_type(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _pydantic_message(err: Any) -> str:
    """A readable message for one pydantic error."""
    typ: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    got = err.get("input")
    loc: Loc = tuple(err["loc"])
    if typ == "missing":
        return "is required but missing"
    if typ == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        allowed = _allowed_keys(loc[:-1])
        hint = _suggest(name, allowed)
        if not hint and allowed:
            hint = f" (allowed: {', '.join(allowed)})"
        return f"unknown key{hint}"
    if typ in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[typ]} (got {_describe(got)})"
    if typ == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')} (got {_describe(got)})"
    if typ == "string_pattern_mismatch":
        return f"must be 1-32 letters, digits, '-' or '_', starting with a letter or digit (got {got!r})"
    if typ == "string_too_short":
        return "must not be empty"
    if typ == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters (got {len(str(got))})"
    if typ == "too_short":
        return (
            f"must have at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
        )
    if typ == "too_long":
        return f"must have at most {ctx.get('max_length')} entries"
    bounds = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if typ in bounds:
        limit = next(iter(ctx.values()), "?")
        return f"must be {bounds[typ]} {limit} (got {_describe(got)})"
    return str(err.get("msg", "is invalid"))


def _clean_loc(loc: Sequence[Any]) -> Loc:
    """Drop pydantic's synthetic loc entries (such as `[key]` for dict keys)."""
    out: list[str | int] = []
    for part in loc:
        if part == "[key]":
            continue
        out.append(part if isinstance(part, int) else str(part))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------
# Value checks.


def _check_http_url(value: str) -> str | None:
    """Return a problem with an http(s) URL, or None if it is fine."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return f"must be an http:// or https:// URL (got {value!r})"
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        return f"must be an http:// or https:// URL with a host (got {value!r})"
    return None


def _check_ws_url(value: str) -> str | None:
    """Return a problem with a ws(s) URL, or None if it is fine."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("ws", "wss") or not host:
        return f"must be a ws:// or wss:// URL with a host (got {value!r})"
    return None


def _parse_clock(value: Any) -> dt.time | str:
    """Parse a plan start/end: "HH:MM" or a TOML local time; return the time or a problem message."""
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, str):
        m = _CLOCK_RE.match(value.strip())
        if m:
            return dt.time(int(m.group(1)), int(m.group(2)))
    return f'must be a clock time "HH:MM" such as "13:00" (got {_describe(value)})'


def _tz_problem(name: str) -> str | None:
    """Return a problem with an IANA time zone key, or None if zoneinfo knows it."""
    try:
        zoneinfo.ZoneInfo(name)
        return None
    except Exception:
        try:
            known = zoneinfo.available_timezones()
        except Exception:
            known = set()
        return f"unknown time zone {name!r}{_suggest(name, known)}; use an IANA name like 'Europe/Copenhagen'"


def _duration(minutes: int | None, seconds: int | None) -> dt.timedelta:
    return dt.timedelta(minutes=minutes) if minutes is not None else dt.timedelta(seconds=seconds or 0)


def _fmt_td(td: dt.timedelta) -> str:
    """Format a duration as "50 min", "1 min 30 s" or "45 s" (minutes, as plans are written)."""
    return duration(td, exact=True, hours=False)


def _fmt_clock(t: dt.time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def _duplicates(items: Sequence[Any], attr: str) -> dict[int, int]:
    """Map the index of each repeated `attr` value to the index of its first occurrence."""
    first: dict[Any, int] = {}
    dups: dict[int, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in first:
            dups[i] = first[value]
        else:
            first[value] = i
    return dups


# ---------------------------------------------------------------------------------------------------
# Building.


class _Builder:
    """Checks the cross-key rules of a structurally valid file and builds the Course."""

    def __init__(self, model: ConfigModel, rep: _Reporter) -> None:
        self.m = model
        self.rep = rep

    def dup(self, section: str, items: Sequence[Any], attr: str, what: str) -> None:
        for i, j in _duplicates(items, attr).items():
            first = self.rep.line((section, j))
            at = f" (first defined at line {first})" if first else f" (first is {section}[{j}])"
            self.rep.error((section, i, attr), f"duplicate {what} {getattr(items[i], attr)!r}{at}")

    def build(self) -> Course:
        m, rep = self.m, self.rep
        if (problem := _tz_problem(m.course.timezone)) is not None:
            rep.error(("course", "timezone"), problem)
        if m.discord.api_base is not None and (problem := _check_http_url(m.discord.api_base)):
            rep.error(("discord", "api_base"), problem)
        if m.discord.gateway_url is not None and (problem := _check_ws_url(m.discord.gateway_url)):
            rep.error(("discord", "gateway_url"), problem)

        s = m.session
        if s.ack_reminder_minutes is not None and s.ack_reminder_seconds is not None:
            rep.error(
                ("session", "ack_reminder_seconds"),
                "set ack_reminder_minutes or ack_reminder_seconds, not both",
            )
        if s.ack_reminder_minutes is None and s.ack_reminder_seconds is None:
            ack = dt.timedelta(minutes=10)
        else:
            ack = _duration(s.ack_reminder_minutes, s.ack_reminder_seconds)
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
                f"no plan named {default_plan!r}{_suggest(default_plan, m.plans)}; "
                f"plans: {', '.join(m.plans)}",
            )

        if rep.problems:
            raise ConfigError(rep.problems, rep.path)
        return Course(
            name=m.course.name,
            timezone=m.course.timezone,
            instructor_roles=tuple(m.discord.instructor_roles),
            student_role=m.discord.student_role,
            class_channel=m.discord.class_channel,
            dev_guild_id=m.discord.dev_guild_id,
            api_base=m.discord.api_base,
            gateway_url=m.discord.gateway_url,
            default_plan=default_plan,
            warning_offsets=offsets,
            ack_reminder=ack,
            slides_per=s.slides_per,
            teachers=teachers,
            papers=papers,
            roles=roles,
            phases={p.key: p for p in phases},
            plans=plans,
        )

    def teachers(self) -> tuple[Teacher, ...]:
        items = self.m.teachers or []
        self.dup("teachers", items, "name", "teacher")
        return tuple(Teacher(name=t.name, discord=t.discord) for t in items)

    def papers(self, teacher_names: set[str] | None) -> tuple[Paper, ...]:
        items = self.m.papers
        self.dup("papers", items, "key", "paper key")
        out = []
        for i, p in enumerate(items):
            if (problem := _check_http_url(p.link)) is not None:
                self.rep.error(("papers", i, "link"), problem)
            if teacher_names is not None:
                for j, name in enumerate(p.teachers):
                    if name not in teacher_names:
                        self.rep.error(
                            ("papers", i, "teachers", j),
                            f"unknown teacher {name!r}: not listed in [[teachers]]"
                            f"{_suggest(name, teacher_names)}",
                        )
            out.append(Paper(key=p.key, title=p.title, link=p.link, teachers=tuple(p.teachers)))
        return tuple(out)

    def roles(self) -> tuple[Role, ...]:
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
            for a, b in _duplicates(r.fields, "key").items():
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
                    slot = _duration(p.slot_minutes, p.slot_seconds)
            elif has_slot:
                name = "slot_minutes" if p.slot_minutes is not None else "slot_seconds"
                self.rep.error(
                    (*loc, name), f'only applies to kind = "presentation" phases (this one is {p.kind!r})'
                )
            out.append(
                Phase(
                    key=p.key,
                    name=p.name,
                    duration=_duration(p.minutes, p.seconds),
                    audience=p.audience,
                    kind=p.kind,
                    text=p.text.strip(),
                    collect_slides=p.collect_slides,
                    slot=slot,
                )
            )
        return out

    def plans(self, phases: list[Phase]) -> dict[str, Plan]:
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
                parsed = _parse_clock(value)
                if isinstance(parsed, str):
                    self.rep.error((*loc, which), parsed)
                else:
                    times[which] = parsed
            start, end = times["start"], times["end"]
            if pm.end is not None and pm.start is None:
                self.rep.error((*loc, "end"), "an end time needs a start time")
            if start is not None and end is not None and end <= start:
                self.rep.error(
                    (*loc, "end"), f"end {_fmt_clock(end)} must be after start {_fmt_clock(start)}"
                )
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
                    self.rep.error((*loc, "phases", j), f"unknown phase {key!r}{_suggest(key, by_key)}")
                    continue
                chosen.append(phase)
            out[name] = Plan(name=name, phases=tuple(chosen), start=start, end=end)
        return out


def _warnings(course: Course, rep: _Reporter, model: ConfigModel) -> None:
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
        span = f"from {_fmt_clock(plan.start)} to {clock}"
        if plan.total > budget:
            rep.warn(
                ("plans", name, "end"),
                f"plan {name!r} runs {_fmt_td(plan.total)} {span}, overrunning its end "
                f"{_fmt_clock(plan.end)} by {_fmt_td(plan.total - budget)}",
            )
        elif plan.total < budget:
            rep.warn(
                ("plans", name, "end"),
                f"plan {name!r} runs {_fmt_td(plan.total)} {span}, leaving a {_fmt_td(budget - plan.total)} "
                f"gap before its end {_fmt_clock(plan.end)}",
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
                f"phase {phase.key!r} lasts {_fmt_td(phase.duration)} but {papers} papers x "
                f"{len(presenting)} presenting roles x {_fmt_td(phase.slot)} need {_fmt_td(need)}",
            )
    if not presenting:
        rep.warn(("roles",), "no role has presents = true, so presentation phases have no slots")
    if sum(r.min for r in course.roles) == 0:
        rep.warn(("roles",), "every role has min = 0, so a paper group may end up with no students")

    used = {p.key for plan in course.plans.values() for p in plan.phases}
    for key in course.phases:
        if key not in used:
            rep.warn(("phases", index[key]), f"phase {key!r} is not used by any plan")


def _load(path: str | Path) -> tuple[Course, list[str]]:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ConfigError([f"{path}: cannot read the configuration: {e.strerror or e}"], path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError([f"{path}:{line}: the file is not valid UTF-8"], path) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        where = f"{path}:{m.group(1)}:{m.group(2)}" if m else str(path)
        raise ConfigError([f"{where}: TOML syntax error: {e}"], path) from None

    rep = _Reporter(path, raw, _LineIndex(text))
    try:
        model = ConfigModel.model_validate(raw)
    except ValidationError as e:
        for err in e.errors():
            loc = _clean_loc(err["loc"])
            rep.error(loc, _pydantic_message(err))
        raise ConfigError(rep.problems, path) from None
    course = _Builder(model, rep).build()
    _warnings(course, rep, model)
    return course, rep.warnings


def load_config(path: str | Path) -> Course:
    """Load and validate the TOML configuration at `path`; raise ConfigError listing every problem."""
    return _load(path)[0]


def check_config(path: str | Path) -> tuple[Course, list[str]]:
    """Load the configuration at `path` and also return its warnings (plan overruns, short phases...)."""
    return _load(path)
