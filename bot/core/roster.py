"""Reading a class list (CSV: student id, name, and the member on the chat platform) and matching it.

Pure: standard library only. Parsing never stores anything: it returns the rows and every problem found
(with line numbers), so the caller can store the whole file or nothing. Handled: a UTF-8 byte-order mark
(and UTF-16 from spreadsheet "Unicode text" exports), comma, semicolon or tab separators (a range pasted
from a spreadsheet), a header row in any of the usual spellings (or none: then the columns are id, name,
member), blank lines, stray spaces, and Discord references written as `name`, `@name`, `name#0`,
`<@123>` or a numeric id. The third column is the platform's (`Reference`): Discord's username or id,
or on Slack an e-mail address or Slack name, which may be left out (the student's name is used).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.errors import quoted

MAX_ROWS = 5000
MAX_BYTES = 1_000_000

_HEADERS: dict[str, frozenset[str]] = {
    "student_id": frozenset(
        {
            "id",
            "sid",
            "studentid",
            "studentno",
            "studentnumber",
            "studentnr",
            "matriculationnumber",
            "studienummer",
            "studynumber",
        }
    ),
    "name": frozenset({"name", "fullname", "studentname", "navn", "displayname"}),
    "discord": frozenset(
        {
            "discord",
            "discordusername",
            "discordname",
            "discordid",
            "discorduser",
            "discordhandle",
            "discorduserid",
            "username",
            "userid",
            "user",
            "handle",
        }
    ),
}


@dataclass(frozen=True)
class Reference:
    """The class list's third column on one platform: its header spellings and how problems name it."""

    headers: frozenset[str]  # header cells naming it, squashed (lower case, letters and digits only)
    label: str  # the column, e.g. "Discord username or id"
    short: str  # a cell of it ("Line 3: no Discord.")
    user: str  # what one cell names ("Duplicate Discord user ...")
    member: str  # a member ("name the same Discord member")
    example: str  # a header row to copy
    name_instead: bool = False  # an empty cell (or no such column) means: match the student by name


DISCORD = Reference(
    headers=_HEADERS["discord"],
    label="Discord username or id",
    short="Discord",
    user="Discord user",
    member="Discord member",
    example="student id, name, discord",
)
SLACK = Reference(
    headers=frozenset(
        {
            "email",
            "emailaddress",
            "mail",
            "slack",
            "slackuser",
            "slackname",
            "slackhandle",
            "slackid",
            "slackemail",
            "username",
            "userid",
            "user",
            "handle",
        }
    ),
    label="Slack e-mail or name",
    short="Slack e-mail or name",
    user="Slack e-mail or name",
    member="Slack member",
    example="student id, name, email",
    name_instead=True,
)
_MENTION = re.compile(r"^<@!?(\d+)>$")
_DISCRIMINATOR = re.compile(r"#\d{1,4}$")
_SNOWFLAKE = re.compile(r"^\d{15,21}$")


@dataclass(frozen=True)
class RosterRow:
    """One student of the file: their student id, name and Discord reference (as normalised by `discord_key`)."""

    line: int
    student_id: str
    name: str
    discord: str


@dataclass(frozen=True)
class RosterFile:
    """The rows read from a file and every problem found; store it only when `problems` is empty."""

    rows: tuple[RosterRow, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Known:
    """One roster student as shown by `/roster list`."""

    student_id: str
    name: str
    discord: str
    user_id: int | None


@dataclass(frozen=True)
class RosterView:
    """Who is known and matched, who is in the file but not in the server, who studies without a row."""

    matched: tuple[Known, ...]
    not_in_server: tuple[Known, ...]
    not_in_roster: tuple[int, ...]


def discord_key(ref: str) -> str:
    """A Discord reference as matched: a numeric user id, or a username in lower case without `@` or `#0`."""
    text = ref.strip()
    mention = _MENTION.match(text)
    if mention:
        return mention[1]
    text = _DISCRIMINATOR.sub("", text.lstrip("@")).strip()
    return text if _SNOWFLAKE.match(text) else text.casefold()


def decode(data: bytes) -> str:
    """Text from the file's bytes: UTF-16 or UTF-8 (with or without a byte-order mark), else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _squash(cell: str) -> str:
    return re.sub(r"[^a-z0-9]", "", cell.casefold())


def _header(cells: list[str], reference: Reference) -> dict[str, int] | None:
    """Which column holds what, when `cells` is a header row (at least two known column names)."""
    headers = {**_HEADERS, "discord": reference.headers}
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = _squash(cell)
        for field, names in headers.items():
            if key in names and field not in found:
                found[field] = i
    return found if len(found) >= 2 else None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = "\n".join(line for line in text.splitlines()[:20] if line.strip())
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_roster(text: str, reference: Reference = DISCORD) -> RosterFile:
    """Read a class list; every row needs a student id, a name and (unless `name_instead`) the member."""
    problems: list[str] = []
    text = text.lstrip("\ufeff")
    try:
        lines = [(n, cells) for n, cells in enumerate(csv.reader(io.StringIO(text), _dialect(text)), start=1)]
    except csv.Error as error:  # stray carriage returns, a field over the csv module's limit, ...
        return RosterFile(
            (), (f"I could not read that file as CSV ({error}): save it as CSV and upload it again.",)
        )
    lines = [(n, [c.strip() for c in cells]) for n, cells in lines if any(c.strip() for c in cells)]
    if not lines:
        return RosterFile(
            (), (f"The file has no rows: expected columns student id, name, {reference.label}.",)
        )
    columns = _header(lines[0][1], reference)
    if columns is not None:
        lines = lines[1:]
        wanted = ("student_id", "name") if reference.name_instead else ("student_id", "name", "discord")
        missing = [field for field in wanted if field not in columns]
        if missing:
            labels = {"student_id": "student id", "name": "name", "discord": reference.label}
            problems.append(
                "The header row has no "
                + " and no ".join(f"**{labels[m]}** column" for m in missing)
                + f": name the columns e.g. `{reference.example}`."
            )
            return RosterFile((), tuple(problems))
    else:
        columns = {"student_id": 0, "name": 1, "discord": 2}
    if len(lines) > MAX_ROWS:
        return RosterFile((), (f"The file has {len(lines)} rows; at most {MAX_ROWS} are accepted.",))
    rows: list[RosterRow] = []
    for n, cells in lines:

        def cell(field: str, cells: list[str] = cells) -> str:
            i = columns.get(field)
            return cells[i] if i is not None and i < len(cells) else ""

        sid, name, ref = cell("student_id"), cell("name"), cell("discord")
        if not ref and reference.name_instead:
            ref = name
        empty = [
            label
            for label, value in (("student id", sid), ("name", name), (reference.short, ref))
            if not value
        ]
        if empty:
            problems.append(f"Line {n}: no {' and no '.join(empty)}.")
            continue
        if len(sid) > 64 or len(name) > 200 or len(ref) > 100:
            problems.append(
                f"Line {n}: a value is too long (student id 64, name 200, {reference.short} 100 characters)."
            )
            continue
        rows.append(RosterRow(n, sid, name, discord_key(ref)))
    problems.extend(_duplicates(rows, "student id", lambda r: r.student_id.casefold()))
    problems.extend(_duplicates(rows, reference.user, lambda r: r.discord))
    if not rows and not problems:  # a header alone would replace the class list with nobody
        problems.append("The file has a header but no students: nothing was changed.")
    return RosterFile(tuple(rows), tuple(problems))


def _duplicates(rows: list[RosterRow], what: str, key: Callable[[RosterRow], str]) -> list[str]:
    seen: dict[str, list[RosterRow]] = {}
    for row in rows:
        seen.setdefault(key(row), []).append(row)
    out = []
    for same in seen.values():
        if len(same) > 1:
            where = ", ".join(str(r.line) for r in same)
            value = same[0].student_id if what == "student id" else same[0].discord
            out.append(f"Duplicate {what} `{quoted(value)}` on lines {where}: each student once.")
    return out


def resolve(key: str, usernames: Mapping[str, int], member_ids: frozenset[int]) -> int | None:
    """The member a normalised Discord reference names, or None when no member has that username or id."""
    if _SNOWFLAKE.match(key):
        return int(key) if int(key) in member_ids else None
    return usernames.get(key)


def match(
    rows: tuple[RosterRow, ...], usernames: Mapping[str, int], member_ids: frozenset[int]
) -> dict[int, int | None]:
    """Each row's (by line) Discord user id in this server, or None when no member has that username or id."""
    return {row.line: resolve(row.discord, usernames, member_ids) for row in rows}


def same_member(
    rows: tuple[RosterRow, ...], matched: Mapping[int, int | None], reference: Reference = DISCORD
) -> list[str]:
    """Problems where two rows name the same member (e.g. once by username, once by id)."""
    by_user: dict[int, list[int]] = {}
    for row in rows:
        uid = matched.get(row.line)
        if uid is not None:
            by_user.setdefault(uid, []).append(row.line)
    return [
        f"Lines {', '.join(map(str, lines))} name the same {reference.member}: each student once."
        for lines in by_user.values()
        if len(lines) > 1
    ]
