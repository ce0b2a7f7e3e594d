"""Errors the core raises for people to read: each message says what went wrong and what to do."""

from bot.core.message import Rich, plain_text, rich


class ConductorError(Exception):
    """A problem the person who asked can fix; its message is shown to them as it is.

    The message is Conductor's words, or rich text (`bot.core.message`) when it names what users typed.
    """

    def __init__(self, message: str | Rich = "", *args: object) -> None:
        self.rich: Rich = rich(message) if isinstance(message, str) else tuple(message)
        super().__init__(message if isinstance(message, str) else plain_text(self.rich), *args)


def quoted(value: str, limit: int = 64) -> str:
    """A typed value to echo inside a message's `code` quote: one line, no backtick to end the quote, cut.

    The core's messages quote values in backticks; the Discord-specific escaping of everything else
    users typed lives in each platform's renderer (`bot.adapters.discord.inert`).
    """
    text = " ".join(value.replace("`", "'").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
