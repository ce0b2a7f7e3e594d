"""Problem reports: key paths turned into `file:line: path: message` lines, pydantic errors in words."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel

from bot.config.errors import Loc
from bot.config.lines import LineIndex
from bot.config.schema import KEY_RE, ConfigModel


class Reporter:
    """Turns key paths into `file:line: path: message` lines."""

    def __init__(self, path: str | Path, raw: Any, index: LineIndex | None) -> None:
        self.path = str(path)
        self.raw = raw
        self.index = index
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def line(self, loc: Loc) -> int | None:
        """The line of a key path in the raw text, if known."""
        return self.index.line_of(loc) if self.index else None

    def human(self, loc: Loc) -> str:
        """A key path as people read it: `phases[key=present].minutes`."""
        out = ""
        node: Any = self.raw
        for part in loc:
            if isinstance(part, int):
                label = f"[{part}]"
                if isinstance(node, list) and 0 <= part < len(node):
                    item = node[part]
                    ident = "name" if out.endswith("teachers") else "key"
                    value = item.get(ident) if isinstance(item, dict) else None
                    if isinstance(value, str) and KEY_RE.match(value.replace(" ", "-")):
                        same = [x for x in node if isinstance(x, dict) and x.get(ident) == value]
                        if len(same) == 1:
                            label = f"[{ident}={value}]"
                    node = item
                else:
                    node = None
                out += label
            else:
                text = str(part)
                if not KEY_RE.match(text):
                    text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
                out += f".{text}" if out else text
                node = node.get(part) if isinstance(node, dict) else None
        return out or "(top level)"

    def format(self, loc: Loc, message: str) -> str:
        """One report line: `file:line: path: message`."""
        line = self.line(loc)
        where = f"{self.path}:{line}" if line else self.path
        return f"{where}: {self.human(loc)}: {message}"

    def error(self, loc: Loc, message: str) -> None:
        """Record a problem that makes the file invalid."""
        self.problems.append(self.format(loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        """Record a finding that does not stop the file from loading."""
        self.warnings.append(self.format(loc, message))


def suggest(word: str, options: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for a close match among `options`, else ''."""
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def describe(value: Any) -> str:
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


def pydantic_message(err: Any) -> str:
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
        hint = suggest(name, allowed)
        if not hint and allowed:
            hint = f" (allowed: {', '.join(allowed)})"
        return f"unknown key{hint}"
    if typ in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[typ]} (got {describe(got)})"
    if typ == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')} (got {describe(got)})"
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
        return f"must be {bounds[typ]} {limit} (got {describe(got)})"
    return str(err.get("msg", "is invalid"))


def clean_loc(loc: Sequence[Any]) -> Loc:
    """Drop pydantic's synthetic loc entries (such as `[key]` for dict keys)."""
    out: list[str | int] = []
    for part in loc:
        if part == "[key]":
            continue
        out.append(part if isinstance(part, int) else str(part))
    return tuple(out)
