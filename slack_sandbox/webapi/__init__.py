"""The Web API methods the sandbox answers, one module per family; importing this registers them all."""

from ..errors import SlackError
from . import auth, chat, conversations, files, history, users, views
from .call import METHODS, Call, Method

__all__ = [
    "METHODS",
    "Call",
    "Method",
    "SlackError",
    "auth",
    "chat",
    "conversations",
    "files",
    "history",
    "users",
    "views",
]
