"""The configuration error: every problem found, one readable line each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

Loc = tuple[str | int, ...]


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
