"""Load and validate `config.toml` into the pure domain objects of `bot.core.plan`.

Structure and types are checked with pydantic v2 models (`extra="forbid"`, strict types); the rules that
span several keys (references, duplicates, exactly-one-of, Discord limits) are checked afterwards in
plain code. Every problem names the file, the key path (`phases[key=present].minutes`) and, where the
raw text tells, the line. Nothing here reads the environment: overrides belong to the settings layer.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from bot.config.build import Builder, add_warnings
from bot.config.errors import ConfigError
from bot.config.lines import LineIndex
from bot.config.messages import Reporter, clean_loc, pydantic_message
from bot.config.platform import section_problems
from bot.config.schema import ConfigModel
from bot.core.plan import Course

__all__ = ["ConfigError", "ConfigModel", "check_config", "load_config"]


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

    rep = Reporter(path, raw, LineIndex(text))
    section_problems(raw, rep)
    try:
        model = ConfigModel.model_validate(raw)
    except ValidationError as e:
        for err in e.errors():
            loc = clean_loc(err["loc"])
            rep.error(loc, pydantic_message(err))
        raise ConfigError(rep.problems, path) from None
    course = Builder(model, rep).build()
    add_warnings(course, rep, model)
    return course, rep.warnings


def load_config(path: str | Path) -> Course:
    """Load and validate the TOML configuration at `path`; raise ConfigError listing every problem."""
    return _load(path)[0]


def check_config(path: str | Path) -> tuple[Course, list[str]]:
    """Load the configuration at `path` and also return its warnings (plan overruns, short phases...)."""
    return _load(path)
