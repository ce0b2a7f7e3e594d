"""Logging: one line per event, with the session, guild and interaction it belongs to; text or JSON; no secrets.

The ids come from context variables: `bind()` sets them for the current task, and every task started
from there (an interaction's handler, the posts it sends) inherits them. The token is removed from
every line by `RedactSecrets`, whatever logged it; discord.py's gateway and HTTP loggers are kept at
INFO because their DEBUG lines carry raw payloads, including what users typed.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

CONTEXT_FIELDS: tuple[str, ...] = ("session", "guild", "interaction")
_context: dict[str, contextvars.ContextVar[int | None]] = {
    name: contextvars.ContextVar(f"conductor_log_{name}", default=None) for name in CONTEXT_FIELDS
}
# Loggers whose DEBUG output holds raw gateway events and request bodies (what students typed).
PAYLOAD_LOGGERS: tuple[str, ...] = ("discord.gateway", "discord.http", "discord.webhook", "discord.state")
REDACTED = "[redacted]"


def bind(**ids: int | None) -> None:
    """Attach ids (session, guild, interaction) to every log line of this task and the tasks it starts."""
    for name, value in ids.items():
        _context[name].set(value)


def clear() -> None:
    """Forget every id (a new unit of work, e.g. a timer, starts from nothing)."""
    for var in _context.values():
        var.set(None)


@contextlib.contextmanager
def bound(**ids: int | None) -> Iterator[None]:
    """Attach ids for the duration of a `with` block only."""
    tokens = [(_context[name], _context[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, int]:
    """The ids bound right now (only those set)."""
    return {name: value for name, var in _context.items() if (value := var.get()) is not None}


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (`record.session` etc., None when unbound)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record; only adds attributes."""
        for name, var in _context.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


class RedactSecrets(logging.Filter):
    """Removes secret values (the bot token) from a record's message, arguments and traceback."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record, with every secret replaced by `[redacted]`."""
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """`2024-03-12 13:50:00,123 INFO bot.adapters.discord.client: message [session=3 guild=… interaction=…]`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, with the bound ids appended in brackets."""
        line = super().format(record)
        ids = " ".join(f"{n}={v}" for n in CONTEXT_FIELDS if (v := getattr(record, n, None)) is not None)
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the bound ids, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single-line JSON object."""
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["traceback"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False)


def setup(level: str = "INFO", fmt: str = "text", secrets: Sequence[str] = ()) -> logging.Handler:
    """Send every log record to stderr, one per line, with ids attached and secrets removed."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # APScheduler says "Added job", "Running job" for every timer: our own lines say what happened.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    return handler


def flush() -> None:
    """Flush every handler of the root logger (at the end of a graceful stop)."""
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
