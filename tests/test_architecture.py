"""Contracts on the code's shape: the core stays pure, front ends hold no SQL, tokens are never logged."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {"discord", "sqlalchemy", "apscheduler", "aiohttp", "alembic", "aiosqlite", "pydantic"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_core_imports_only_the_standard_library_and_itself() -> None:
    offenders = []
    for path in sorted((ROOT / "bot" / "core").rglob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in FORBIDDEN_IN_CORE or (top == "bot" and not name.startswith("bot.core")):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            elif top not in sys.stdlib_module_names and top not in {"bot", "__future__"}:
                offenders.append(f"{path.relative_to(ROOT)} imports non-stdlib {name}")
    assert offenders == []


FRONT_ENDS = (ROOT / "bot" / "adapters" / "discord" / "cogs", ROOT / "bot" / "adapters" / "slack")
# Where each front end is built and its outbox sender lives (the adapters' own wiring, like the Discord client).
WIRING = {"frontend.py", "sender.py"}


def test_the_front_ends_do_not_touch_the_database_or_the_scheduler_directly() -> None:
    """Discord's cogs and Slack's handlers reach storage and timers only through the use cases."""
    offenders = []
    for path in sorted(p for front in FRONT_ENDS for p in front.rglob("*.py") if p.name not in WIRING):
        for name in imported_modules(path):
            if name.split(".")[0] in {"sqlalchemy", "apscheduler", "aiosqlite"} or name.startswith(
                "bot.storage"
            ):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


# What the use cases never import: they reach storage, timers and the platforms only through the ports they
# own (bot/services/ports.py, bot/services/assignments/ports.py), whose adapters are passed in.
FORBIDDEN_IN_SERVICES = {"sqlalchemy", "discord", "apscheduler", "aiohttp", "alembic", "aiosqlite"}
ADAPTERS = ("bot.storage", "bot.scheduling")


def imported_names(path: Path) -> set[str]:
    """The modules a file imports, and the names it imports from them (`from bot import storage`: bot.storage)."""
    names = imported_modules(path)
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_use_cases_reach_storage_and_timers_only_through_their_ports() -> None:
    offenders = []
    for path in sorted((ROOT / "bot" / "services").rglob("*.py")):
        for name in imported_names(path):
            if name.split(".")[0] in FORBIDDEN_IN_SERVICES or f"{name}.".startswith(
                tuple(f"{a}." for a in ADAPTERS)
            ):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_nothing_logs_or_prints_the_token() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if "get_secret_value" in line and ("log" in line or "print" in line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}")
    assert offenders == []


def test_the_bot_does_not_depend_on_the_sandbox() -> None:
    """The sandbox is a test and rehearsal tool beside the bot; only the dry run (rehearse) drives it."""
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name == "rehearse.py":
            continue
        for name in imported_modules(path):
            if name.split(".")[0] == "discord_sandbox":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


# The composition root and the Discord adapters the services are handed (never import).
DISCORD_SIDE = {"bot.adapters.discord.client", "bot.adapters.discord.threads", "bot.adapters.discord.rooms"}


def test_the_use_cases_do_not_import_discord() -> None:
    """The services reach Discord only through ports; the adapters (`bot.adapters.discord.threads`, ...) are passed in.

    This checks the services' own imports; the test below follows them through the other `bot.*` modules.
    """
    offenders = []
    for path in sorted((ROOT / "bot" / "services").rglob("*.py")):
        for name in imported_modules(path):
            if name.split(".")[0] == "discord" or name in DISCORD_SIDE:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def module_file(name: str) -> Path | None:
    """The file of a `bot.*` module (a package's `__init__.py`), or None when it is not one of ours."""
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def bot_imports(path: Path) -> set[Path]:
    """The files of the `bot.*` modules a file imports (`from bot.x import y` counts `bot.x.y` when a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    files = set()
    for name in names:
        if name.split(".")[0] != "bot":
            continue
        parts = name.split(".")
        for i in range(2, len(parts) + 1):  # a package's __init__ runs on the way to its modules
            if (found := module_file(".".join(parts[:i]))) is not None:
                files.add(found)
    return files


def test_the_messages_are_platform_neutral() -> None:
    """`bot/messages` says what Conductor posts from the core alone: no chat platform, no storage, no web.

    Each platform renders its messages (`bot/adapters/discord/` for Discord): the builders never do.
    """
    offenders = []
    for path in sorted((ROOT / "bot" / "messages").rglob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top == "bot" and not name.startswith(("bot.core", "bot.messages")):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            elif top not in sys.stdlib_module_names and top not in {"bot", "__future__"}:
                offenders.append(f"{path.relative_to(ROOT)} imports non-stdlib {name}")
    assert offenders == []


def test_the_use_cases_and_messages_do_not_import_discord_even_indirectly() -> None:
    """No `bot.*` module the services or the message builders import, directly or through others, imports
    discord.py: they reach Discord only through the adapters the composition root hands them."""
    offenders = []
    starts = [*(ROOT / "bot" / "services").rglob("*.py"), *(ROOT / "bot" / "messages").rglob("*.py")]
    for start in sorted(starts):
        seen: set[Path] = set()
        todo = [(start, str(start.relative_to(ROOT)))]
        while todo:
            path, chain = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            if any(name.split(".")[0] == "discord" for name in imported_modules(path)):
                offenders.append(chain)
            todo.extend((p, f"{chain} -> {p.relative_to(ROOT)}") for p in bot_imports(path) if p not in seen)
    assert offenders == []
