"""The slash commands Conductor offers on Slack: names, verbs, what to type, and the help that says so.

Slack commands are flat (`/session pause` arrives as command `/session`, text `pause`), and their names
share one namespace with every other app in the workspace, so a workspace may give them a prefix
(`cd-` makes `/session` into `/cd-session`). This table is the one source of the help texts, of the
parser's verbs (`commands.py`) and of the app manifest's commands (`manifest.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.adapters.slack.mrkdwn import escape


class Name(StrEnum):
    """A slash command, without its slash and prefix."""

    SESSION = "session"
    ASSIGN = "assign"
    CHECKIN = "checkin"
    MYROLE = "myrole"
    ROLES = "roles"
    SUBMIT = "submit"
    LINKS = "links"
    DELIVERABLE = "deliverable"
    REVIEW = "review"
    DELIVERABLES = "deliverables"
    EXPORT = "export"
    ROSTER = "roster"
    PROJECT = "project"
    CALENDAR = "calendar"
    CONDUCTOR = "conductor"


class SessionVerb(StrEnum):
    """`/session …`."""

    START = "start"
    STATUS = "status"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    NEXT = "next"
    BACK = "back"
    PROJECTOR = "projector"
    STOP = "stop"


class RolesVerb(StrEnum):
    """`/roles …`."""

    STATUS = "status"
    SWAP = "swap"
    MOVE = "move"
    ADD = "add"
    REMOVE = "remove"


class RosterVerb(StrEnum):
    """`/roster …`."""

    IMPORT = "import"
    LIST = "list"


class ProjectVerb(StrEnum):
    """`/project …`."""

    LIST = "list"
    CREATE = "create"
    JOIN = "join"
    LEAVE = "leave"
    CHOOSE = "choose"
    PROPOSE = "propose"
    STATUS = "status"
    PLACE = "place"
    ASSIGN = "assign"
    APPROVE = "approve"
    RETURN = "return"
    EXPORT = "export"


class ConductorVerb(StrEnum):
    """`/conductor …`."""

    STATUS = "status"


@dataclass(frozen=True)
class Usage:
    """One way to use a command: its verb (if any), what follows it, and what it does."""

    verb: str | None
    args: str
    does: str

    def typed(self, slash: str) -> str:
        """What to type, e.g. `/session extend <minutes>`."""
        return " ".join(p for p in (slash, self.verb, self.args) if p)


@dataclass(frozen=True)
class Spec:
    """A slash command: its name, its one-line description, and its uses."""

    name: Name
    description: str
    uses: tuple[Usage, ...]
    instructors_only: bool = False

    @property
    def verbs(self) -> tuple[str, ...]:
        """The verbs the command takes (none for a command that takes only arguments)."""
        return tuple(u.verb for u in self.uses if u.verb)

    @property
    def hint(self) -> str:
        """The usage hint Slack shows while the command is typed (also the manifest's `usage_hint`)."""
        hint = " | ".join(" ".join(p for p in (u.verb, u.args) if p) for u in self.uses if u.verb or u.args)
        bare = any(u.verb is None and not u.args for u in self.uses)
        return f"[{hint}]" if hint and bare else hint


def _u(verb: str | None, args: str, does: str) -> Usage:
    return Usage(verb, args, does)


SPECS: tuple[Spec, ...] = (
    Spec(
        Name.SESSION,
        "Run the afternoon's session: start, status, pause, resume, extend, next, back, stop",
        (
            _u("start", "[plan] [HH:MM]", "start a plan now, or at a clock time today (course time zone)"),
            _u("status", "", "the current phase, the time left, and what is next"),
            _u("pause", "", "stop the clock; every later phase waits"),
            _u("resume", "", "restart the clock after a pause"),
            _u("extend", "<minutes>", "give the current phase more minutes (negative shortens: -2)"),
            _u("next", "", "end the current phase now and start the next"),
            _u("back", "", "go back to the previous phase, restarted with its full length"),
            _u("projector", "", "the link to this session's page for the room's projector"),
            _u("stop", "", "end the session now"),
        ),
        instructors_only=True,
    ),
    Spec(
        Name.ASSIGN,
        "Preview a fair paper-and-role assignment, then confirm it",
        (_u(None, "", "preview the assignment, with Confirm, Reshuffle and Cancel"),),
        instructors_only=True,
    ),
    Spec(
        Name.CHECKIN,
        'Post an "I\'m here" button; /assign then seats only those who press it',
        (_u(None, "", "post the check-in message in the class channel"),),
        instructors_only=True,
    ),
    Spec(
        Name.MYROLE, "Your paper and role card for today, only to you", (_u(None, "", "show your role card"),)
    ),
    Spec(
        Name.ROLES,
        "The confirmed assignment: who acknowledged, and changes",
        (
            _u("status", "", "who acknowledged their role, whose DM failed, who has not yet"),
            _u("swap", "@student @student", "two students exchange papers and roles"),
            _u("move", "@student <paper> <role>", "give a student another paper and role (keys)"),
            _u("add", "@student", "a late arrival joins where the plan is thinnest"),
            _u("remove", "@student", "an absent student leaves; partners and group are told"),
        ),
        instructors_only=True,
    ),
    Spec(
        Name.SUBMIT,
        "Submit (or replace) your paper group's slides link",
        (_u(None, "<link to your slides>", "hand in your group's slides link (https://…)"),),
    ),
    Spec(
        Name.LINKS,
        "Every group's slides link, who sent it, and who is missing",
        (_u(None, "", "show every group's slides link"),),
        instructors_only=True,
    ),
    Spec(
        Name.DELIVERABLE,
        "Fill in (or edit) your role's form for today",
        (_u(None, "", "open your role's form"),),
    ),
    Spec(
        Name.REVIEW,
        "Reviewers: write (or edit) your review of the paper",
        (_u(None, "", "open your review form"),),
    ),
    Spec(
        Name.DELIVERABLES,
        "Per paper and role: who has submitted their form",
        (_u(None, "", "show who has submitted their form and who is missing"),),
        instructors_only=True,
    ),
    Spec(
        Name.EXPORT,
        "The session's record: a CSV per student and a report",
        (_u(None, "[session number]", "this channel's latest session, or the numbered one"),),
        instructors_only=True,
    ),
    Spec(
        Name.ROSTER,
        "The class list: student ids and Slack users",
        (
            _u(
                "import",
                "",
                "paste the class list from your spreadsheet (student id, name, e-mail); it replaces the old one",
            ),
            _u("list", "", "who is known, and who is not matched to Slack"),
        ),
        instructors_only=True,
    ),
    Spec(
        Name.PROJECT,
        "Course projects: proposals and groups",
        (
            _u("list", "[post]", "the proposals and free places (post: instructors post the cards here)"),
            _u("create", "<group name>", "start a project group and get its join code"),
            _u("join", "<code>", "join a group with the code a member shared"),
            _u("leave", "", "leave your project group"),
            _u("choose", "<proposal>", "choose a proposal for your group"),
            _u("propose", "", "propose your group's own project (an instructor approves it)"),
            _u("status", "", "your group (instructors: every group and who has none)"),
            _u("place", "@student <group>", "instructors: place a student into a group"),
            _u("assign", "<group> <proposal>", "instructors: give a group a proposal"),
            _u("approve", "<group>", "instructors: approve a group's own project"),
            _u("return", '"<group>" <reason>', "instructors: send an own project back with a reason"),
            _u("export", "", "instructors: every group and student as CSV, and a report"),
        ),
    ),
    Spec(
        Name.CALENDAR,
        "What comes next in the course, and the calendar to subscribe to",
        (
            _u(None, "", "the next entries and the feed to subscribe to"),
            _u("ics", "", "the whole calendar as an .ics file for your calendar app"),
        ),
    ),
    Spec(
        Name.CONDUCTOR,
        "Conductor itself: configuration, database, timers and permissions",
        (_u("status", "", "what Conductor runs with, and what it may not do here"),),
        instructors_only=True,
    ),
)
BY_NAME: dict[Name, Spec] = {s.name: s for s in SPECS}

#: A prefix is made of what Slack allows in a command name; with the longest name it stays within 32.
PREFIX_RE = re.compile(r"[a-z0-9_-]*")
COMMAND_NAME_MAX = 32


def prefix_problem(prefix: str) -> str | None:
    """What is wrong with a command prefix, or None (Slack: lowercase letters, digits, `-`, `_`; 32 long)."""
    if not PREFIX_RE.fullmatch(prefix):
        return (
            f"the command prefix {prefix!r} may hold only lowercase letters, digits, '-' and '_' "
            '(for example "cd-", which makes /session into /cd-session)'
        )
    longest = max(len(n.value) for n in Name)
    if 1 + len(prefix) + longest > COMMAND_NAME_MAX:
        return (
            f"the command prefix {prefix!r} is too long: Slack command names have at most "
            f"{COMMAND_NAME_MAX} characters and /{prefix}{'x' * longest} would have {1 + len(prefix) + longest}"
        )
    return None


def slash(name: Name, prefix: str = "") -> str:
    """The command as typed in this workspace, e.g. `/cd-session`."""
    return f"/{prefix}{name.value}"


def help_text(name: Name, prefix: str = "") -> str:
    """What to type for one command, one line per use (Slack mrkdwn: `<minutes>` escaped)."""
    spec = BY_NAME[name]
    command = slash(name, prefix)
    lines = [f"*{command}*: {escape(spec.description)}."]
    lines.extend(f"• `{escape(u.typed(command))}`: {escape(u.does)}" for u in spec.uses)
    if spec.instructors_only:
        lines.append("Only instructors can use it.")
    return "\n".join(lines)


def overview(prefix: str = "") -> str:
    """Every command, one line each (for an unknown command)."""
    return "\n".join(f"• `{slash(s.name, prefix)}`: {escape(s.description)}" for s in SPECS)
