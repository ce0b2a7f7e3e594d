"""Errors the core raises for people to read: each message says what went wrong and what to do."""


class ConductorError(Exception):
    """A problem the person who asked can fix; its message is shown to them as it is."""


def quoted(value: str, limit: int = 64) -> str:
    """A typed value to echo inside a message's `code` quote: one line, no backtick to end the quote, cut.

    The core's messages quote values in backticks; the Discord-specific escaping of everything else
    users typed lives in `bot.rendering.inert`.
    """
    text = " ".join(value.replace("`", "'").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
