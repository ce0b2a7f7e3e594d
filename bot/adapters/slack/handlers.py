"""Slack's slash commands and buttons, each acknowledged at once and answered only to who asked.

Every command and click is acknowledged first (Slack wants it within 3 s), then run through the same use
cases as on Discord, and answered ephemerally through its `response_url`. One error path
(`answering`): a `ConductorError` is the answer; anything unexpected is logged and the person told that
nothing was changed. Instructor commands are checked at run time (`Directory.is_instructor`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bot.adapters.slack.actions import Verb, View, read_action
from bot.adapters.slack.answers import Answer, response
from bot.adapters.slack.command_list import Name, SessionVerb, slash
from bot.adapters.slack.commands import (
    Bare,
    ConductorCommand,
    RolesCommand,
    SessionCommand,
    SubmitCommand,
    Usage,
    parse,
)
from bot.adapters.slack.ids import to_int
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
from bot.services.errors import StorageUnavailable

if TYPE_CHECKING:
    from bot.adapters.slack.frontend import SlackConductor

log = logging.getLogger(__name__)
Respond = Callable[..., Awaitable[Any]]
SLIDES_MODAL = "conductor:slides-form"
UNEXPECTED = (
    "Something went wrong on my side and nothing was changed. Please try again; if it keeps happening, "
    "tell the instructor (the error is in my log)."
)
NOT_HERE_YET = (
    "`{command}` is not on Slack yet: it works on Discord. On Slack you can use `/session`, `/checkin`, "
    "`/assign`, `/myrole`, `/roles`, `/submit`, `/links` and `/conductor status`."
)


class Front:
    """The handlers' view of the Slack front end: the use cases, the people, how to answer."""

    def __init__(self, conductor: SlackConductor) -> None:
        self.c = conductor
        self.course = conductor.course
        self.app = conductor.app
        self.people = conductor.directory
        assert conductor.course.slack is not None
        self.prefix = conductor.course.slack.command_prefix

    def answer(self, what: Answer, **extra: Any) -> dict[str, Any]:
        """An ephemeral answer, rendered for Slack now."""
        return response(what, self.c.sender.options(ephemeral=True), **extra)

    def venue(self, channel: str) -> str:
        """Where the session lives: the class channel when the workspace has it, else this channel."""
        return self.people.class_channel or channel

    def instructor(self, user: str) -> None:
        """Refuse, with what to do, when a member is not an instructor."""
        if not self.people.is_instructor(user):
            raise ConductorError(
                "Only instructors can do that. Instructors are set in config.toml (`[slack] instructors`), "
                "or are the workspace's admins when none are set."
            )

    @asynccontextmanager
    async def answering(self, respond: Respond, what: str) -> AsyncIterator[None]:
        """The one error path: a clear answer for a refusal, a logged apology for anything else."""
        try:
            yield
        except ConductorError as refusal:
            await respond(**self.answer(refusal.rich))
        except StorageUnavailable as error:
            log.warning("%s: the database is unavailable: %s", what, error)
            await respond(**self.answer(str(error)))
        except Exception:
            log.exception("%s failed", what)
            await respond(**self.answer(UNEXPECTED))


def register(bolt: AsyncApp, conductor: SlackConductor) -> None:
    """Attach every command, button and form to the Bolt app."""
    front = Front(conductor)
    for name in Name:
        bolt.command(slash(name, front.prefix))(_command_handler(front))
    bolt.action(re.compile(r"^conductor:"))(_action_handler(front))
    bolt.view(SLIDES_MODAL)(_slides_submitted(front))


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
            await respond(**front.answer(await run(front, parsed, user, channel, body)))

    return handle


async def run(front: Front, parsed: Any, user: str, channel: str, body: dict[str, Any]) -> Answer:
    """Run a command and say what happened."""
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
        case (View.SUBMIT_SLIDES, Verb.SLIDES):
            await client.views_open(trigger_id=body["trigger_id"], view=slides_modal(session))
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
            await ack(response_action="errors", errors={"url": plain_text(refusal.rich)[:150]})
            return
        await ack()
        shown = front.answer(answer)
        dm = await client.conversations_open(users=user)
        await client.chat_postMessage(channel=dm["channel"]["id"], text=shown["text"], blocks=shown["blocks"])

    return handle
