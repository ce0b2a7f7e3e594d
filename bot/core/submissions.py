"""What students hand in: slide links and role deliverables, checked and made safe to show.

Pure: standard library only. Everything a student typed is stored as typed; these functions decide
whether it is acceptable (with a message saying what to fix). How it is shown in Discord without
pinging anyone or taking effect as markdown is each platform renderer's job (`bot.adapters.discord.inert`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bot.core.errors import ConductorError
from bot.core.plan import Field

#: The longest link accepted: Discord's limit for a link button's URL, so a link can always be shown.
URL_MAX_LENGTH = 512
#: The kind of a group's slides submission, and of a role's deliverable (Submission.kind).
SLIDES = "slides"
DELIVERABLE = "deliverable"


class InvalidLink(ConductorError):
    """A link that cannot be accepted; the message says why and what to send instead."""


def normalise_url(raw: str) -> str:
    """The link as stored (stripped, scheme and host lowercased), or InvalidLink saying what is wrong."""
    text = raw.strip()
    if not text:
        raise InvalidLink("The link is empty: paste the full address, starting with `https://`.")
    if len(text) > URL_MAX_LENGTH:
        raise InvalidLink(
            f"That link is {len(text)} characters long; Discord allows at most {URL_MAX_LENGTH}. "
            "Use the document's share link (or a link shortener) instead."
        )
    if any(c.isspace() or ord(c) < 32 for c in text):
        raise InvalidLink("A link cannot contain spaces or line breaks: paste only the address.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidLink(
            "I could not read that as a link: paste the full address, starting with `https://`."
        ) from None
    scheme = parts.scheme.lower()
    if scheme in {"javascript", "data", "vbscript", "file"}:
        raise InvalidLink(f"`{scheme}:` links are not accepted: send an `https://` link to your slides.")
    if scheme not in {"http", "https"}:
        raise InvalidLink(
            "Only web links are accepted: send the slides' address starting with `https://` "
            "(e.g. `https://docs.google.com/presentation/...`)."
        )
    host = (parts.hostname or "").lower()
    if not host or ("." not in host and host != "localhost"):
        raise InvalidLink("That link has no website in it: send the full address, e.g. `https://host/path`.")
    netloc = parts.netloc
    at = netloc.rfind("@")
    userinfo, hostport = (netloc[: at + 1], netloc[at + 1 :]) if at >= 0 else ("", netloc)
    if userinfo:
        raise InvalidLink("Links with a user name or password in them are not accepted: send the plain link.")
    hostport = hostport.lower() if port is None else f"{host}:{port}"
    return urlunsplit((scheme, hostport, parts.path, parts.query, parts.fragment))


def slides_group(paper: str, role: str, per: str = "paper") -> str:
    """The group key under which one slides link is stored: the paper group, or with `per="role"`
    the paper-role group (the students sharing a paper and a role)."""
    return f"{paper}/{role}" if per == "role" else paper


def slides_thread(paper: str, role: str, per: str = "paper") -> str:
    """The thread (its key) where a slides group is told about its link: group or partner thread."""
    return f"partners:{paper}:{role}" if per == "role" else f"group:{paper}"


def deliverable_group(paper: str, role: str) -> str:
    """The group key under which a student's role deliverable is stored."""
    return f"{paper}/{role}"


# --- deliverable forms -----------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?]*[A-Za-z0-9][^.!?]*(?:[.!?]+(?=\s|$)|$)")
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|et al|etc|vs|cf|fig|eq|sec|no|approx)\.", re.IGNORECASE)
_DECIMAL = re.compile(r"(\d)\.(\d)")


def count_sentences(text: str) -> int:
    """Sentences in `text`: ends at . ! ? followed by a space or the end (e.g., 3.5, et al. do not end one)."""
    cleaned = _DECIMAL.sub(r"\1\2", _ABBREVIATIONS.sub(r"\1", text.strip()))
    return sum(1 for m in _SENTENCE.finditer(cleaned) if m.group(0).strip())


@dataclass(frozen=True)
class FormCheck:
    """A form's values as typed (stripped at the ends) and the problems found, one line each.

    `by_field` holds the same problems by field key, for a form that shows each under its field.
    """

    values: dict[str, str]
    problems: tuple[str, ...]
    by_field: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the form can be stored."""
        return not self.problems


def check_field(field: Field, value: str) -> str | None:
    """What is wrong with one field's value, or None."""
    name = f"**{field.label}**"
    if not value:
        return f"{name} is empty: please fill it in." if field.required else None
    if field.kind == "choice":
        if value not in field.choices:
            return f"{name} must be one of: {', '.join(field.choices)}."
        return None
    if field.kind == "url":
        try:
            normalise_url(value)
        except InvalidLink as error:
            return f"{name}: {error}"
        return None
    if len(value) < field.min_length:
        return f"{name} is {len(value)} characters; write at least {field.min_length}."
    if len(value) > field.max_length:
        return f"{name} is {len(value)} characters; keep it to {field.max_length}."
    if field.min_sentences is not None or field.max_sentences is not None:
        n = count_sentences(value)
        lo = field.min_sentences or 0
        hi = field.max_sentences
        if n < lo or (hi is not None and n > hi):
            wanted = f"{lo}-{hi}" if hi is not None else f"at least {lo}"
            return f"{name} has {n} sentence(s); the guidance is {wanted} sentences."
    return None


def check_form(fields: Sequence[Field], typed: Mapping[str, str]) -> FormCheck:
    """Check every field of a role's form; values are kept as typed, URLs normalised."""
    values: dict[str, str] = {}
    by_field: dict[str, str] = {}
    for one in fields:
        value = (typed.get(one.key) or "").strip()
        problem = check_field(one, value)
        if problem:
            by_field[one.key] = problem
        elif one.kind == "url" and value:
            value = normalise_url(value)
        values[one.key] = value
    return FormCheck(values, tuple(by_field.values()), by_field)
