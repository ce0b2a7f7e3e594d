"""Slack's slash commands and buttons, each acknowledged at once and answered only to who asked.

Every command and click is acknowledged first (Slack wants it within 3 s), then run through the same use
cases as on Discord, and answered ephemerally through its `response_url`, or with a window (a modal) for
what is filled in: a role's form (`forms.py`), the class list (`roster.py`), the slides link. The one error
path is `Front.answering` (`front.py`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bot.adapters.slack import course_calendar, exports, forms, roster
from bot.adapters.slack.actions import Verb, View, read_action
from bot.adapters.slack.answers import Answer
from bot.adapters.slack.command_list import Name, RosterVerb, SessionVerb, slash
from bot.adapters.slack.commands import (
    Bare,
    CalendarCommand,
    ConductorCommand,
    ExportCommand,
    RolesCommand,
    RosterCommand,
    SessionCommand,
    SubmitCommand,
    Usage,
    parse,
)
from bot.adapters.slack.front import Front, Respond
from bot.adapters.slack.ids import to_int
from bot.adapters.slack.modals import error_text, open_view
from bot.adapters.slack.scopes import missing_lines
from bot.adapters.slack.transport import ts_to_int
from bot.core.clocktime import parse_start
from bot.core.errors import ConductorError
from bot.core.message import (
    Actions,
    Mention,
    Message,
    Time,
    TimeStyle,
    UserText,
    bold,
    lines,
    plain_text,
    rich,
)
from bot.core.statuses import SessionAction
from bot.core.submissions import URL_MAX_LENGTH
from bot.messages import assignment as assignment_messages
from bot.messages.session import status as status_message
from bot.services.assignments import AlreadyConfirmed, EditAction, Preview

if TYPE_CHECKING:
    from bot.adapters.slack.frontend import SlackConductor

log = logging.getLogger(__name__)
SLIDES_MODAL = "conductor:slides-form"
NOT_HERE_YET = (
    "`{command}` is not on Slack yet: it works on Discord. On Slack you can use `/session`, `/checkin`, "
    "`/assign`, `/myrole`, `/roles`, `/submit`, `/links`, `/deliverable`, `/review`, `/deliverables`, "
    "`/export`, `/roster`, `/calendar` and `/conductor status`."
)


def register(bolt: AsyncApp, conductor: SlackConductor) -> None:
    """Attach every command, button and form to the Bolt app."""
    front = Front(conductor)
    for name in Name:
        bolt.command(slash(name, front.prefix))(_command_handler(front))
    bolt.action(re.compile(r"^conductor:"))(_action_handler(front))
    bolt.view(SLIDES_MODAL)(_slides_submitted(front))
    forms.register(bolt, front)
    roster.register(bolt, front)


def _command_handler(front: Front) -> Callable[..., Awaitable[None]]:
    async def handle(ack: Callable[..., Awaitable[None]], body: dict[str, Any], respond: Respond) -> None:
        await ack()  # at once: Slack shows an error after 3 s without it
        if front.c.stopping:
            await respond(
                **front.answer("I am restarting right now: nothing was changed. Try again in a minute.")
            )
            return
        user, channel = body["user_id"], body["channel_id"]
        await front.people.remember(user)
        parsed = parse(body["command"], body.get("text") or "", front.prefix)
        async with front.answering(respond, f"{body['command']} by {user}"):
            answer = await run(front, parsed, user, channel, body)
            if answer is not None:  # None: the answer is a window that opened
                await respond(**front.answer(answer))

    return handle


async def run(front: Front, parsed: Any, user: str, channel: str, body: dict[str, Any]) -> Answer | None:
    """Run a command and say what happened (None when it opened a window instead)."""
    team = front.people.team_id
    app = front.app
    match parsed:
        case Usage():
            return parsed.text
        case SessionCommand(verb=SessionVerb.START):
            front.instructor(user)
            where = front.venue(channel)
            when = parse_start(parsed.at, app.clock.now(), front.course.tz) if parsed.at else None
            row = await app.sessions.start(
                guild_id=team, channel_id=to_int(where), plan_name=parsed.plan, at=when, actor_id=to_int(user)
            )
            return (
                f"Started **{row.plan_name}**. Posting to <#{to_int(where)}>: the run-of-show and the phases "
                "go there. Steer it from any channel with `/session pause`, `/session extend`, `/session next`."
            )
        case SessionCommand(verb=SessionVerb.STATUS):
            front.instructor(user)
            info = await app.sessions.status(team, to_int(front.venue(channel)))
            return status_message(info.plan_name, info.timeline, info.position)
        case SessionCommand(verb=SessionVerb.PROJECTOR):
            front.instructor(user)
            if app.web is None:
                return "The projector page is off. Add a `[web]` section to config.toml and restart the bot."
            _, token = await app.projector.token(team, to_int(front.venue(channel)))
            return rich(
                "Projector page for this session (read-only; show it on the projector): ",
                UserText(app.web.url(token)),
            )
        case SessionCommand():
            front.instructor(user)
            return await app.sessions.control(
                guild_id=team,
                channel_id=to_int(front.venue(channel)),
                action=SessionAction(parsed.verb.value),
                actor_id=to_int(user),
                minutes=parsed.minutes,
            )
        case Bare(name=Name.CHECKIN):
            front.instructor(user)
            return await app.assignments.post_checkin(team, to_int(front.venue(channel)), to_int(user))
        case Bare(name=Name.ASSIGN):
            front.instructor(user)
            await front.people.refresh()
            try:
                preview = await app.assignments.preview(
                    guild_id=team, channel_id=to_int(front.venue(channel)), roster=front.people.class_list()
                )
            except AlreadyConfirmed as asked:
                return Message(
                    text=rich(str(asked)), actions=Actions("assign-replace", {"session": asked.session_id})
                )
            return preview_message(front, preview)
        case Bare(name=Name.MYROLE):
            session_id = await app.assignments.my_session(to_int(user), team, to_int(front.venue(channel)))
            return await card_answer(front, session_id, user)
        case Bare(name=Name.LINKS):
            front.instructor(user)
            return links_message(await app.submissions.links(team, to_int(front.venue(channel))))
        case RolesCommand() if parsed.verb.value == "status":
            front.instructor(user)
            return roles_status(await app.assignments.status(team, to_int(front.venue(channel))))
        case RolesCommand():
            front.instructor(user)
            if parsed.student is None:
                return f"Name the student: `/roles {parsed.verb.value} @student`."
            answer, outcome = await app.assignments.edit(
                guild_id=team,
                channel_id=to_int(front.venue(channel)),
                action=EditAction(parsed.verb.value),
                roster=front.people.class_list(),
                actor_id=to_int(user),
                student=parsed.student,
                other=parsed.other,
                paper=parsed.paper,
                role=parsed.role,
            )
            table = " The table is updated." if outcome.table_updated else ""
            return rich(answer, f"{table} {outcome.summary()}")
        case SubmitCommand():
            return await app.submissions.submit_slides(
                user_id=to_int(user),
                url=parsed.url,
                guild_id=team,
                channel_id=to_int(front.venue(channel)),
                session_id=None,
            )
        case Bare(name=Name.DELIVERABLE | Name.REVIEW):
            await forms.open_form(front, body["trigger_id"], user, channel=channel)
            return None
        case Bare(name=Name.DELIVERABLES):
            front.instructor(user)
            found = await app.submissions.deliverables(team, to_int(front.venue(channel)))
            return exports.deliverables_message(found)
        case ExportCommand():
            front.instructor(user)
            return await exports.export(front, user, channel, parsed.session)
        case RosterCommand(verb=RosterVerb.IMPORT):
            front.instructor(user)
            await open_view(front.client, body["trigger_id"], roster.import_view(front))
            return None
        case RosterCommand():
            front.instructor(user)
            return await roster.listing(front)
        case CalendarCommand():
            return await course_calendar.calendar(front, user, parsed.ics)
        case ConductorCommand():
            front.instructor(user)
            return conductor_status(front)
        case _:
            return NOT_HERE_YET.format(command=body["command"])


def preview_message(front: Front, preview: Preview) -> Message:
    """The preview with Confirm, Reshuffle and Cancel."""
    who = "the checked-in students" if preview.checked_in_only else "every member of the class channel"
    message = assignment_messages.preview(
        preview.assignment,
        front.course,
        front.people.class_list().students,
        preview.seed,
        preview.replacing,
        f"{len(preview.assignment.seats)} students ({who}).",
    )
    return replace(
        message, actions=Actions("assign-preview", {"session": preview.session_id, "seed": preview.seed})
    )


async def card_answer(front: Front, session_id: int, user: str) -> Message:
    """A student's own role card, with its Got it button."""
    card = await front.app.assignments.card(session_id, to_int(user))
    return assignment_messages.card_message(card)


def roles_status(lines_: list[Any]) -> Message:
    """`/roles status`: who acknowledged their card, whose DM failed, who has not yet."""
    rows = []
    for line in lines_:
        seen = (
            rich("acknowledged ", Time(line.acknowledged, TimeStyle.SHORT_TIME))
            if line.acknowledged
            else rich("not yet")
        )
        rows.append(rich(Mention(line.user_id), f": {line.seat}, {line.delivery}, ", seen))
    acked = sum(1 for line in lines_ if line.acknowledged)
    return Message(text=lines(rich(bold(f"Role cards: {acked} of {len(lines_)} acknowledged")), *rows))


def links_message(groups: list[Any]) -> Message:
    """`/links`: each group's slides link (shown, never clickable), who sent it and when."""
    rows = []
    for g in groups:
        if g.url:
            sent = rich(" by ", Mention(g.by), " ", Time(g.at, TimeStyle.SHORT_TIME)) if g.by and g.at else ()
            rows.append(rich(bold(g.label), ": ", UserText(g.url), sent))
        else:
            rows.append(rich(bold(g.label), ": no slides yet"))
    return Message(text=lines(rich(bold("Slides links")), *rows) if rows else rich("No slides groups yet."))


def conductor_status(front: Front) -> str:
    """`/conductor status`: the workspace, the class channel, and any missing scope with what it breaks."""
    people = front.people
    out = [f"Workspace `{people.team}`, {len(people.people)} members."]
    if people.class_channel:
        out.append(
            f"Class channel <#{to_int(people.class_channel)}>: {len(people.student_ids())} students, {len(people.instructor_ids())} instructors."
        )
    else:
        out.append(
            f"Class channel **#{front.course.slack.class_channel if front.course.slack else '?'}** not found: create it and invite me."
        )
    missing = missing_lines(",".join(sorted(people.granted)))
    out.extend(f"- {line}" for line in missing[:-1])
    out.append(missing[-1] if missing else "Every scope I need is granted.")
    return "\n".join(out)


# --- buttons and forms --------------------------------------------------------------------------------


def _action_handler(front: Front) -> Callable[..., Awaitable[None]]:
    async def handle(
        ack: Callable[..., Awaitable[None]], body: dict[str, Any], respond: Respond, client: Any
    ) -> None:
        await ack()
        user = body["user"]["id"]
        action = (body.get("actions") or [{}])[0]
        pressed = read_action(action)
        if pressed is None:
            await respond(**front.answer("That button is from an older version: run the command again."))
            return
        async with front.answering(respond, f"{action.get('action_id')} by {user}"):
            await press(front, pressed.view, pressed.verb, pressed.args, user, body, respond, client)

    return handle


async def press(
    front: Front,
    view: View,
    verb: Verb,
    args: dict[str, Any],
    user: str,
    body: dict[str, Any],
    respond: Respond,
    client: Any,
) -> None:
    """Run a pressed button."""
    app = front.app
    session = int(args.get("session", 0))
    message_ts = (body.get("container") or {}).get("message_ts")
    match (view, verb):
        case (View.CHECKIN, Verb.HERE):
            if to_int(user) not in front.people.class_list().students:
                raise ConductorError("Only students of the class channel check in.")
            await respond(**front.answer(await app.assignments.check_in(session, to_int(user))))
        case (View.ROLE_CARD, Verb.ACK):
            mid = ts_to_int(message_ts) if message_ts else None
            await respond(**front.answer(await app.assignments.acknowledge(session, to_int(user), mid)))
        case (View.SHOW_ROLE, Verb.SHOW):
            await respond(**front.answer(await card_answer(front, session, user)))
        case (View.ROLE_CARD, Verb.FORM):
            mid = ts_to_int(message_ts) if message_ts else None
            refusal = await app.assignments.card_refusal(session, to_int(user), mid)
            if refusal is not None:
                raise ConductorError(refusal)
            await forms.open_form(front, body["trigger_id"], user, session=session)
        case (View.SUBMIT_SLIDES, Verb.SLIDES):
            await open_view(client, body["trigger_id"], slides_modal(session))
        case (View.ASSIGN_PREVIEW, _) | (View.ASSIGN_REPLACE, _):
            front.instructor(user)
            await assignment_pressed(front, verb, args, user, respond)
        case _:
            await respond(**front.answer("That is not on Slack yet: it works on Discord."))


async def assignment_pressed(
    front: Front, verb: Verb, args: dict[str, Any], user: str, respond: Respond
) -> None:
    """Confirm, Reshuffle, Cancel on a preview; replace or keep a confirmed assignment."""
    service = front.app.assignments
    session = int(args["session"])
    match verb:
        case Verb.KEEP:
            await respond(**front.answer("Kept the confirmed assignment.", replace_original=True))
        case Verb.CANCEL:
            answer = await service.cancel(session, int(args["seed"]))
            await respond(**front.answer(answer, replace_original=True))
        case Verb.RESHUFFLE | Verb.REPLACE:
            await front.people.refresh()
            preview = await service.preview(
                guild_id=front.people.team_id,
                channel_id=0,
                roster=front.people.class_list(),
                replace=True,
                session_id=session,
            )
            await respond(**front.answer(preview_message(front, preview), replace_original=True))
        case Verb.CONFIRM:
            await respond(
                **front.answer(
                    "Confirming: sending role cards and opening rooms; the table is posted once that is done…",
                    replace_original=True,
                )
            )
            report = await service.confirm(
                session, int(args["seed"]), front.people.class_list(), to_int(user)
            )
            text = f"Confirmed for {report.students} students. {report.instructor_text()} Follow acknowledgements with `/roles status`."
            await respond(**front.answer(text))
            await service.reported(session)
        case _:
            await respond(**front.answer("That button does nothing here."))


def slides_modal(session_id: int) -> dict[str, Any]:
    """The form for a group's slides link."""
    return {
        "type": "modal",
        "callback_id": SLIDES_MODAL,
        "private_metadata": str(session_id),
        "title": {"type": "plain_text", "text": "Submit slides"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "url",
                "label": {"type": "plain_text", "text": "Link to your group's slides"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "url",
                    "max_length": URL_MAX_LENGTH,
                    "placeholder": {"type": "plain_text", "text": "https://docs.google.com/presentation/..."},
                },
            }
        ],
    }


def _slides_submitted(front: Front) -> Callable[..., Awaitable[None]]:
    async def handle(
        ack: Callable[..., Awaitable[None]], body: dict[str, Any], view: dict[str, Any], client: Any
    ) -> None:
        user = body["user"]["id"]
        url = (((view.get("state") or {}).get("values") or {}).get("url") or {}).get("url", {}).get(
            "value"
        ) or ""
        session = int(view.get("private_metadata") or 0)
        try:
            answer = await front.app.submissions.submit_slides(
                user_id=to_int(user),
                url=url,
                guild_id=front.people.team_id,
                channel_id=None,
                session_id=session,
            )
        except ConductorError as refusal:
            await ack(response_action="errors", errors={"url": error_text(plain_text(refusal.rich))})
            return
        await ack()
        await front.dm(user, answer)

    return handle
