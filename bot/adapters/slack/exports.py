"""What an instructor collects on Slack: `/deliverables` (who filed their role's form) and `/export`.

`/export` uploads the session's CSV and Markdown report (the same bytes as `python -m bot export`) into
the instructor's direct messages with the app (`upload_to_dm`, with `files_upload_v2`: an ephemeral
answer cannot carry a file); without the `files:write` scope the answer says which scope to add and where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.errors import SlackApiError

from bot.adapters.slack.front import Front
from bot.adapters.slack.ids import to_int
from bot.adapters.slack.scopes import lacking
from bot.core.errors import ConductorError
from bot.core.message import Mention, Message, Rich, Time, TimeStyle, bold, joined, lines, rich
from bot.messages.submissions import DeliverableLine


def deliverables_message(found: Sequence[DeliverableLine]) -> Message:
    """Per paper, each role with a form: who submitted it (how long ago) and who is missing."""
    total = sum(len(x.submitted) + len(x.missing) for x in found)
    done = sum(len(x.submitted) for x in found)
    out: list[Rich] = [rich(bold(f"Deliverables: {done} of {total} submitted"))]
    if not found:
        out.append(rich("No one in this session holds a role with a form."))
    paper = None
    for x in found:
        if x.paper.key != paper:
            paper = x.paper.key
            out.append(rich(bold(x.paper.title)))
        sent = joined([rich(Mention(u), " ", Time(at, TimeStyle.RELATIVE)) for u, at in x.submitted])
        row = rich(f"• {x.role.plural}: ", sent or "none yet")
        if x.missing:
            row = rich(row, "; missing ", joined([rich(Mention(u)) for u in x.missing]))
        out.append(row)
    return Message(text=lines(*out))


async def upload_to_dm(front: Front, user: str, files: Mapping[str, bytes], comment: str) -> None:
    """Upload files into one person's direct messages with the app (a missing scope said as what to add)."""
    opened = await front.client.conversations_open(users=user)
    try:
        await front.client.files_upload_v2(
            channel=opened["channel"]["id"],
            initial_comment=comment,
            file_uploads=[{"file": data, "filename": name, "title": name} for name, data in files.items()],
        )
    except SlackApiError as error:
        if error.response.get("error") == "missing_scope":
            needed = str(error.response.get("needed") or "files:write")
            raise ConductorError(f"I could not upload the file(s). {lacking(needed)}") from error
        raise


async def export(front: Front, user: str, channel: str, session: int | None) -> str:
    """Upload a session's CSV and report into the instructor's direct messages; say where they are."""
    service = front.app.submissions
    session_id = await service.export_session(front.people.team_id, to_int(front.venue(channel)), session)
    files = await service.export_files(session_id)  # from the database alone, as `python -m bot export`
    comment = f"Session {session_id}: one CSV row per student, and the session's report."
    await upload_to_dm(front, user, files, comment)
    names = " and ".join(f"`{name}`" for name in files)
    return f"Session {session_id}: {names} are in your direct messages with me."
