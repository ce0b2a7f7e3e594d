"""`/calendar` on Slack: what comes next in the course (each reader's own time), the feed to subscribe to,
and with `ics` the whole calendar as a file in the reader's direct messages (an answer only they see
cannot carry a file)."""

from __future__ import annotations

from bot.adapters.slack.exports import upload_to_dm
from bot.adapters.slack.front import Front
from bot.core.message import Code, Message, Rich, bold, lines, rich
from bot.messages.calendar import line

ICS_NAME = "course-calendar.ics"


async def calendar(front: Front, user: str, ics: bool) -> Message:
    """The next entries and how to subscribe; with `ics`, the .ics file sent to the reader first."""
    app = front.app
    if ics:
        await upload_to_dm(
            front,
            user,
            {ICS_NAME: app.calendar.ics()},
            "The course calendar: open it with your calendar app.",
        )
    out: list[Rich] = [rich(bold(f"What comes next - {front.course.name}"))]
    entries = app.calendar.upcoming()
    out.extend(line(e) for e in entries)
    if not entries:
        out.append(rich("Nothing left on the calendar."))
    if app.web is not None:
        feed = f"{app.web.base_url}/calendar/{await app.calendar.feed_token()}.ics"
        out.append(rich(bold("Your calendar:"), " subscribe in your calendar app to ", Code(feed)))
    else:
        out.append(rich(bold("Your calendar:"), " get the file with `/calendar ics`."))
    if ics:
        out.append(rich(f"`{ICS_NAME}` is in your direct messages with me."))
    return Message(text=lines(*out))
