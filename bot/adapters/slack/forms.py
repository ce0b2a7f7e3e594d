"""A role's form on Slack: the role card's button, `/deliverable` and `/review` open it as a modal.

The fields are the role's from the configuration (`[[roles.fields]]`), pre-filled with what the student
last sent. A submission is checked and stored by the same use case as on Discord
(`SubmissionService.save_deliverable`): each problem is shown in red under its field with what was
typed kept, and a valid form is stored, shown to the role-partners in their room, and confirmed in the
same window. A text field holds at most 3,000 characters on Slack (Discord: 4,000).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.adapters.slack.answers import Answer
from bot.adapters.slack.front import UNEXPECTED, Ack, Front
from bot.adapters.slack.ids import to_int
from bot.adapters.slack.modals import (
    TEXT_INPUT_MAX,
    Blocks,
    Reply,
    error_text,
    metadata,
    modal,
    open_view,
    reply_within,
    select_input,
    text_input,
    typed,
    view_text,
)
from bot.core.errors import ConductorError
from bot.core.message import Time, TimeStyle, bold, plain_text, rich
from bot.core.plan import Field
from bot.core.submissions import URL_MAX_LENGTH
from bot.services.errors import StorageUnavailable
from bot.services.submissions import Form

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)
ROLE_FORM = "conductor:role-form"
OLD_FORM = "This form is from an older version of Conductor: open your form again with `/deliverable`."
ROLE_CHANGED = (
    "Your role changed since you opened this form: close it and open your form again (/deliverable)."
)


def hint(field: Field) -> str | None:
    """What a field asks for, under it: a link, or its length and sentences as the rules check them."""
    if field.kind == "url":
        return "A web link, starting with https://"
    if field.kind == "choice":
        return None
    top = min(field.max_length, TEXT_INPUT_MAX)
    parts = [f"{field.min_length:,}-{top:,} characters" if field.min_length else f"Up to {top:,} characters"]
    lo, hi = field.min_sentences, field.max_sentences
    if hi is not None:
        parts.append(f"{lo or 0}-{hi} sentences")
    elif lo:
        parts.append(f"at least {lo} sentences")
    return ", ".join(parts)


def field_input(field: Field, value: str | None) -> dict[str, Any]:
    """One field of the form as Slack shows it (block and action named by the field's key)."""
    optional = not field.required
    if field.kind == "choice":
        return select_input(field.key, field.label, field.choices, value=value, optional=optional)
    if field.kind == "url":
        return text_input(
            field.key,
            field.label,
            value=value,
            max_length=URL_MAX_LENGTH,
            optional=optional,
            placeholder="https://…",
            hint=hint(field),
        )
    return text_input(
        field.key,
        field.label,
        value=value,
        multiline=field.style == "long",
        max_length=field.max_length,
        optional=optional,
        hint=hint(field),
    )


def form_view(front: Front, form: Form, notice: Answer | None = None) -> dict[str, Any]:
    """The role's form, pre-filled (`notice`: a problem written above the fields)."""
    role, paper = form.role, form.paper
    about = rich(bold(paper.title), f" · your {role.name} form.")
    if form.submitted_at is not None:
        about = rich(
            about,
            " Pre-filled with what you sent ",
            Time(form.submitted_at, TimeStyle.RELATIVE),
            "; sending it again replaces it.",
        )
    blocks: Blocks = list(front.shown(about).blocks)
    if notice is not None:
        blocks.extend(front.shown(notice).blocks)
    blocks.extend(field_input(f, form.values.get(f.key)) for f in role.fields)
    return modal(
        ROLE_FORM,
        view_text(f"{role.name} form", role.name, "Your form"),
        blocks,
        submit="Update" if form.submitted_at is not None else "Submit",
        metadata={"session": form.session_id, "paper": paper.key, "role": role.key},
    )


def said_view(front: Front, title: str, answer: Answer) -> dict[str, Any]:
    """A window that only says something (a confirmation, a refusal), closed with Done."""
    return modal(ROLE_FORM, view_text(title, "Your form"), list(front.shown(answer).blocks), close="Done")


async def open_form(
    front: Front, trigger_id: str, user: str, *, channel: str | None = None, session: int | None = None
) -> None:
    """Open the student's role form (refusals, e.g. no session or no seat, are raised to be answered)."""
    form = await front.app.submissions.form(
        user_id=to_int(user),
        guild_id=front.people.team_id if session is None else None,
        channel_id=to_int(front.venue(channel)) if channel is not None and session is None else None,
        session_id=session,
    )
    await open_view(front.client, trigger_id, form_view(front, form))


def register(bolt: AsyncApp, front: Front) -> None:
    """Take the role form's submissions."""
    bolt.view(ROLE_FORM)(_submitted(front))


def _submitted(front: Front) -> Any:
    async def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        meta = metadata(view)
        try:
            role = front.course.role(str(meta["role"]))
            paper = front.course.paper(str(meta["paper"]))
            session = int(meta["session"])
            if not role.fields:  # the configuration changed: the role has no form any more
                raise KeyError(role.key)
        except (KeyError, TypeError, ValueError):
            await ack(response_action="update", view=said_view(front, "Your form", OLD_FORM))
            return
        answers = {f.key: typed(view, f.key, f.choices) for f in role.fields}
        form = Form(session, paper, role, answers, None)
        await reply_within(
            ack,
            front.client,
            str(view.get("id")),
            _save(front, form, to_int(user)),
            said_view(front, f"{role.name} form", "Saving your form…"),
            said_view(front, f"{role.name} form", UNEXPECTED),
            f"the {role.key} form of {user}",
        )

    return handle


async def _save(front: Front, form: Form, user_id: int) -> Reply:
    """Store the form, or say what to fix under each field (the typed text kept)."""
    role = form.role
    first = role.fields[0].key
    try:
        saved = await front.app.submissions.save_deliverable(
            session_id=form.session_id, user_id=user_id, typed=form.values
        )
    except (ConductorError, StorageUnavailable) as refusal:
        said = refusal.rich if isinstance(refusal, ConductorError) else rich(str(refusal))
        return Reply(errors={first: error_text(plain_text(said))}, view=form_view(front, form, said))
    if saved.check.ok:
        return Reply(view=said_view(front, f"{role.name} form", saved.answer))
    shown = {f.key for f in role.fields}
    if set(saved.check.by_field) - shown:  # validated against another role: the seat changed meanwhile
        return Reply(errors={first: ROLE_CHANGED}, view=form_view(front, form, ROLE_CHANGED))
    errors = {key: error_text(problem) for key, problem in saved.check.by_field.items()}
    return Reply(errors=errors, view=form_view(front, form, saved.answer))
