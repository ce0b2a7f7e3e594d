"""Line numbers of key paths: tomllib gives no positions for values, so the raw text is scanned."""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Sequence

from bot.config.errors import Loc


class LineIndex:
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
