"""Who wants to know that a session changed (its clock, its talks, its slides): the projector page."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
Listener = Callable[[int], None]


class Changes:
    """A list of listeners told, after each committed change, which session changed."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call `listener(session_id)` after every change."""
        self._listeners.append(listener)

    def changed(self, session_id: int) -> None:
        """Tell every listener; one that fails is logged and never stops the others or the caller."""
        for listener in self._listeners:
            try:
                listener(session_id)
            except Exception:
                log.exception("a listener failed on a change of session %s", session_id)
