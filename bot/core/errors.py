"""Errors the core raises for people to read: each message says what went wrong and what to do."""


class ConductorError(Exception):
    """A problem the person who asked can fix; its message is shown to them as it is."""
