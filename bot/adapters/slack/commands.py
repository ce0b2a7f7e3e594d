"""The text of a Slack slash command, read into the same verbs and arguments the Discord commands take.

Slack sends a command as its name and one string (`/roles swap <@U01A|anna> <@U02B|ben>` arrives as
`/roles` and `swap <@U01A|anna> <@U02B|ben>`, with `&`, `<`, `>` as entities). `parse` never raises: it
returns a typed command, or a `Usage` that says exactly what to type (asked for with `help`, or because
the text could not be read).
"""

from __future__ import annotations

import difflib
import html
import math
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.adapters.slack.command_list import (
    BY_NAME,
    ConductorVerb,
    Name,
    ProjectVerb,
    RolesVerb,
    RosterVerb,
    SessionVerb,
    help_text,
    overview,
    slash,
)
from bot.adapters.slack.ids import SlackIdError, to_int
from bot.adapters.slack.mrkdwn import escape

__all__ = [
    "Bare",
    "CalendarCommand",
    "Command",
    "ConductorCommand",
    "ExportCommand",
    "Parsed",
    "ProjectCommand",
    "RolesCommand",
    "RosterCommand",
    "SessionCommand",
    "SubmitCommand",
    "Usage",
    "parse",
]


@dataclass(frozen=True)
class SessionCommand:
    """`/session <verb>`: `plan` and `at` for start (as typed), `minutes` for extend."""

    verb: SessionVerb
    plan: str | None = None
    at: str | None = None
    minutes: float | None = None


@dataclass(frozen=True)
class Bare:
    """A command that takes nothing: /assign, /checkin, /myrole, /links, /deliverable, /review, /deliverables."""

    name: Name


@dataclass(frozen=True)
class RolesCommand:
    """`/roles <verb>`: the students (stored ids) and, for move, the paper and role keys."""

    verb: RolesVerb
    student: int | None = None
    other: int | None = None
    paper: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class SubmitCommand:
    """`/submit <link>`: the group's slides link, as typed."""

    url: str


@dataclass(frozen=True)
class ExportCommand:
    """`/export [session number]`."""

    session: int | None = None


@dataclass(frozen=True)
class RosterCommand:
    """`/roster import | list`."""

    verb: RosterVerb


@dataclass(frozen=True)
class ProjectCommand:
    """`/project <verb>` with what that verb takes."""

    verb: ProjectVerb
    post: bool = False
    name: str | None = None  # create: the group's name
    code: str | None = None  # join
    proposal: str | None = None  # choose, assign
    group: str | None = None  # place, assign, approve, return
    student: int | None = None  # place
    reason: str | None = None  # return


@dataclass(frozen=True)
class CalendarCommand:
    """`/calendar [ics]`."""

    ics: bool = False


@dataclass(frozen=True)
class ConductorCommand:
    """`/conductor status`."""

    verb: ConductorVerb


@dataclass(frozen=True)
class Usage:
    """What to type instead (Slack mrkdwn): `problem` says what was wrong (None when help was asked for)."""

    problem: str | None
    help: str

    @property
    def text(self) -> str:
        """The answer to show (ephemerally) to the person who typed the command."""
        return self.help if self.problem is None else f"{self.problem}\n\n{self.help}"


Command = (
    SessionCommand
    | Bare
    | RolesCommand
    | SubmitCommand
    | ExportCommand
    | RosterCommand
    | ProjectCommand
    | CalendarCommand
    | ConductorCommand
)
Parsed = Command | Usage

# Other words people type for a verb.
ALIASES: dict[str, str] = {
    "skip": "next",
    "continue": "resume",
    "unpause": "resume",
    "end": "stop",
    "finish": "stop",
    "prev": "back",
    "previous": "back",
    "show": "list",
}
_TOKEN = re.compile(r'<[^<>]*>|"[^"]*"?|“[^”]*”?|\S+')
_QUOTED = re.compile(r'^(?:"(?P<a>[^"]*)"?|“(?P<b>[^”]*)”?)$')
_USER = re.compile(r"^<@(?P<id>[A-Z0-9]+)(?:\|[^<>]*)?>$")
_LINK = re.compile(r"^<(?P<url>[^|<>]+)(?:\|[^<>]*)?>$")
_CLOCKISH = re.compile(
    r"^(?:\d{1,2}(?:[:.h]\d{2})?\s*(?:am|pm)?|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})$", re.I
)
_MINUTES = re.compile(
    r"^(?P<n>[+-]?\d+(?:[.,]\d+)?)\s*(?P<unit>m|min|mins|minute|minutes|s|sec|secs|second|seconds)?$", re.I
)
_SHOWN_MAX = 60


class _Bad(Exception):
    """The text cannot be read: the message says why."""


@dataclass(frozen=True)
class _Token:
    raw: str
    start: int

    @property
    def word(self) -> str:
        """The token unquoted and unescaped."""
        m = _QUOTED.match(self.raw)
        text = next(g for g in (m["a"], m["b"]) if g is not None) if m else self.raw
        return html.unescape(text).strip()


class _Words:
    """The command's text split into words (quotes and `<…>` kept whole), with the rest after any word."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [_Token(m.group(0), m.start()) for m in _TOKEN.finditer(text)]

    def __len__(self) -> int:
        return len(self.tokens)

    def word(self, i: int) -> str:
        return self.tokens[i].word

    def rest(self, i: int) -> str:
        """Everything from word `i` on, as typed (unescaped; one quoted word unquoted)."""
        if i >= len(self.tokens):
            return ""
        if i == len(self.tokens) - 1:
            return self.tokens[i].word
        return html.unescape(self.text[self.tokens[i].start :]).strip()


def _shown(text: str) -> str:
    """Typed text to echo inside backticks: one line, no backtick, cut (escaped with the whole problem)."""
    one = " ".join(text.replace("`", "'").split())
    return one if len(one) <= _SHOWN_MAX else one[: _SHOWN_MAX - 1] + "…"


def _person(words: _Words, i: int) -> int:
    """The student named by word `i` (a Slack mention), as a stored id."""
    if i >= len(words):
        raise _Bad("Name the student: type @ and pick them from the list Slack shows.")
    raw = words.tokens[i].raw
    m = _USER.match(raw)
    if m is None:
        if raw.startswith("@"):
            raise _Bad(
                f"I got `{_shown(raw)}` as plain text, not as a person: type @ and pick them from the list "
                "Slack shows, so Slack tells me who they are."
            )
        raise _Bad(f"`{_shown(words.word(i))}` is not a person: type @ and pick the student from the list.")
    try:
        return to_int(m["id"])
    except SlackIdError:
        raise _Bad(
            f"`{_shown(raw)}` is not a Slack user I can work with: pick them from the @ list."
        ) from None


def _verb(words: _Words, verbs: type[StrEnum], name: Name, prefix: str) -> StrEnum:
    word = ALIASES.get(words.word(0).lower(), words.word(0).lower())
    for verb in verbs:
        if verb.value == word:
            return verb
    close = difflib.get_close_matches(word, [v.value for v in verbs], n=1)
    hint = f" Did you mean `{slash(name, prefix)} {close[0]}`?" if close else ""
    raise _Bad(f"`{slash(name, prefix)}` has no `{_shown(words.word(0))}`.{hint}")


def _nothing_after(words: _Words, n: int, what: str) -> None:
    if len(words) > n:
        raise _Bad(f"`{what}` takes nothing after it, but I got `{_shown(words.rest(n))}`.")


def _minutes(text: str) -> float:
    m = _MINUTES.match(text.strip())
    if m is None:
        raise _Bad(f"`{_shown(text)}` is not a number of minutes: type e.g. `5`, `-2` or `90s`.")
    value = float(m["n"].replace(",", "."))
    if (m["unit"] or "m").lower().startswith("s"):
        value /= 60
    if not math.isfinite(value) or value == 0 or abs(value) > 24 * 60:
        raise _Bad(f"`{_shown(text)}`: extend by some minutes between -1440 and 1440, not zero.")
    return value


def _session(words: _Words, prefix: str) -> SessionCommand:
    verb = SessionVerb(_verb(words, SessionVerb, Name.SESSION, prefix))
    typed = f"{slash(Name.SESSION, prefix)} {verb.value}"
    if verb is SessionVerb.START:
        return _start(words)
    if verb is SessionVerb.EXTEND:
        if len(words) < 2:
            raise _Bad(f"Say how many minutes: `{typed} 5` (or `-2` to shorten).")
        return SessionCommand(verb, minutes=_minutes(words.rest(1)))
    _nothing_after(words, 1, typed)
    return SessionCommand(verb)


def _start(words: _Words) -> SessionCommand:
    """`start [plan] [at]`: a first word that reads as a clock time or date is the time; `plan:`, `at:` too."""
    plan: str | None = None
    at: str | None = None
    rest = [words.word(i) for i in range(1, len(words))]
    if rest and rest[0].lower().startswith("plan:"):
        plan = rest.pop(0)[5:].strip() or None
    elif rest and not _CLOCKISH.match(rest[0]) and rest[0].lower() not in ("at", "at:"):
        plan = rest.pop(0)
    if rest and rest[0].lower() in ("at", "at:"):
        rest.pop(0)
    elif rest and rest[0].lower().startswith("at:"):
        rest[0] = rest[0][3:]
    at = " ".join(rest).strip() or None
    return SessionCommand(SessionVerb.START, plan=plan, at=at)


def _roles(words: _Words, prefix: str) -> RolesCommand:
    verb = RolesVerb(_verb(words, RolesVerb, Name.ROLES, prefix))
    typed = f"{slash(Name.ROLES, prefix)} {verb.value}"
    match verb:
        case RolesVerb.STATUS:
            _nothing_after(words, 1, typed)
            return RolesCommand(verb)
        case RolesVerb.SWAP:
            a, b = _person(words, 1), _person(words, 2)
            _nothing_after(words, 3, typed + " @student @student")
            return RolesCommand(verb, student=a, other=b)
        case RolesVerb.MOVE:
            student = _person(words, 1)
            if len(words) != 4:
                raise _Bad(f"Type the student, the paper and the role: `{typed} @student <paper> <role>`.")
            return RolesCommand(verb, student=student, paper=words.word(2), role=words.word(3))
        case _:
            student = _person(words, 1)
            _nothing_after(words, 2, typed + " @student")
            return RolesCommand(verb, student=student)


def _submit(words: _Words, prefix: str) -> SubmitCommand:
    i = 1 if len(words) and words.word(0).lower() == "slides" else 0
    if i >= len(words):
        raise _Bad(f"Add the link: `{slash(Name.SUBMIT, prefix)} https://…`.")
    if len(words) > i + 1:
        raise _Bad(f"Send one link, without spaces: `{slash(Name.SUBMIT, prefix)} https://…`.")
    raw = words.tokens[i].raw
    if raw.startswith(("<@", "<#", "<!")):
        raise _Bad(f"That is a mention, not a link: `{slash(Name.SUBMIT, prefix)} https://…`.")
    m = _LINK.match(raw)
    url = html.unescape(m["url"]) if m else words.word(i)
    return SubmitCommand(url.strip())


def _export(words: _Words, prefix: str) -> ExportCommand:
    if len(words) == 0:
        return ExportCommand()
    number = words.word(0).lstrip("#")
    if len(words) > 1 or not number.isdigit() or not 0 < int(number) < 2**63:
        raise _Bad(
            f"Type a session number, or nothing for this channel's latest: `{slash(Name.EXPORT, prefix)} 12`."
        )
    return ExportCommand(int(number))


def _project(words: _Words, prefix: str) -> ProjectCommand:
    verb = ProjectVerb(_verb(words, ProjectVerb, Name.PROJECT, prefix))
    typed = f"{slash(Name.PROJECT, prefix)} {verb.value}"
    match verb:
        case ProjectVerb.LIST:
            if len(words) > 1 and words.rest(1).lower() != "post":
                raise _Bad(f"`{typed}` takes only `post`: `{typed} post` posts the proposal cards here.")
            return ProjectCommand(verb, post=len(words) > 1)
        case ProjectVerb.CREATE:
            return ProjectCommand(
                verb, name=_needed(words.rest(1), f"Name your group: `{typed} <group name>`.")
            )
        case ProjectVerb.JOIN:
            code = _needed(words.rest(1), f"Add the group's code: `{typed} K7M2QX`.")
            if len(words) > 2:
                raise _Bad(f"A code is one word: `{typed} K7M2QX`.")
            return ProjectCommand(verb, code=code)
        case ProjectVerb.CHOOSE:
            return ProjectCommand(
                verb, proposal=_needed(words.rest(1), f"Name the proposal: `{typed} <proposal>`.")
            )
        case ProjectVerb.PLACE:
            student = _person(words, 1)
            group = _needed(words.rest(2), f"Name the group: `{typed} @student <group>`.")
            return ProjectCommand(verb, student=student, group=group)
        case ProjectVerb.ASSIGN:
            if len(words) < 3:
                raise _Bad(f"Name the group, then the proposal: `{typed} <group> <proposal>`.")
            last = words.tokens[-1]
            # The proposal is one word (a key); the group is everything before it, quoted or not.
            between = html.unescape(words.text[words.tokens[1].start : last.start]).strip()
            group = words.word(1) if len(words) == 3 else between
            return ProjectCommand(verb, group=group, proposal=last.word)
        case ProjectVerb.APPROVE:
            return ProjectCommand(verb, group=_needed(words.rest(1), f"Name the group: `{typed} <group>`."))
        case ProjectVerb.RETURN:
            if len(words) < 3:
                raise _Bad(f'Name the group, then what to change: `{typed} "<group>" <reason>`.')
            return ProjectCommand(verb, group=words.word(1), reason=words.rest(2))
        case _:
            _nothing_after(words, 1, typed)
            return ProjectCommand(verb)


def _needed(value: str, problem: str) -> str:
    if not value:
        raise _Bad(problem)
    return value


def _calendar(words: _Words, prefix: str) -> CalendarCommand:
    if len(words) == 0:
        return CalendarCommand()
    if len(words) == 1 and words.word(0).lower() in ("ics", ".ics", "file"):
        return CalendarCommand(ics=True)
    raise _Bad(f"`{slash(Name.CALENDAR, prefix)}` takes only `ics` (to get the calendar as a file).")


def _read(name: Name, words: _Words, prefix: str) -> Command:
    command = slash(name, prefix)
    match name:
        case Name.SESSION:
            return _session(words, prefix)
        case Name.ROLES:
            return _roles(words, prefix)
        case Name.SUBMIT:
            return _submit(words, prefix)
        case Name.EXPORT:
            return _export(words, prefix)
        case Name.ROSTER:
            roster = RosterVerb(_verb(words, RosterVerb, name, prefix))
            _nothing_after(words, 1, f"{command} {roster.value}")
            return RosterCommand(roster)
        case Name.PROJECT:
            return _project(words, prefix)
        case Name.CALENDAR:
            return _calendar(words, prefix)
        case Name.CONDUCTOR:
            conductor = ConductorVerb(_verb(words, ConductorVerb, name, prefix))
            _nothing_after(words, 1, f"{command} {conductor.value}")
            return ConductorCommand(conductor)
        case _:
            _nothing_after(words, 0, command)
            return Bare(name)


def command_name(command: str, prefix: str = "") -> Name | None:
    """Which of Conductor's commands `command` (e.g. `/cd-session`) is in this workspace, if any."""
    bare = command.strip().lower().removeprefix("/")
    if not bare.startswith(prefix.lower()):
        return None
    try:
        return Name(bare[len(prefix) :])
    except ValueError:
        return None


def parse(command: str, text: str, prefix: str = "") -> Parsed:
    """Read a slash command (its name as Slack sends it, and its text); never raises."""
    name = command_name(command, prefix)
    if name is None:
        return Usage(escape(f"I do not know `{_shown(command)}`. Conductor's commands:"), overview(prefix))
    words = _Words(text or "")
    takes_verb = bool(BY_NAME[name].verbs) and name is not Name.CALENDAR
    if len(words) and words.word(0).lower() in ("help", "?", "-h", "--help"):
        return Usage(None, help_text(name, prefix))
    if takes_verb and not len(words):
        return Usage(None, help_text(name, prefix))
    try:
        return _read(name, words, prefix)
    except _Bad as bad:
        # Escaped whole: the typed text it echoes and its own <placeholders>.
        return Usage(escape(str(bad)), help_text(name, prefix))
