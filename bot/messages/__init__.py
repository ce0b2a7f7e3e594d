"""What Conductor posts, as platform-neutral messages (`bot.core.message`): each platform renders them.

Builders take domain facts and return the payload stored in the outbox (`outbox.stored`): the message as
JSON under "message", beside the envelope the use cases read back ("target", "notify", "stale"). They
import only `bot.core` (tests/test_architecture.py): no chat platform.
"""
