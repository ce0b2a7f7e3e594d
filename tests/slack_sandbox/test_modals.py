"""Modals with Bolt: opened from a command within 3 s, filled in, answered with errors, updated, stacked."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import SlackSandbox

from .conftest import Connect, Klass


def review_form(summary: str = "") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "review",
        "private_metadata": "paper=1",
        "title": {"type": "plain_text", "text": "Peer review"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "initial_value": summary,
                },
            },
            {
                "type": "input",
                "block_id": "rating",
                "label": {"type": "plain_text", "text": "Rating"},
                "element": {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [
                        {"text": {"type": "plain_text", "text": str(n)}, "value": str(n)} for n in range(1, 6)
                    ],
                },
            },
            {
                "type": "actions",
                "block_id": "more",
                "elements": [
                    {"type": "button", "action_id": "guide", "text": {"type": "plain_text", "text": "Guide"}}
                ],
            },
        ],
    }


@pytest.fixture
def reviews(app: AsyncApp) -> list[dict[str, Any]]:
    """The reviewer's form: /review opens it; a summary under 20 characters is sent back with an error."""
    filed: list[dict[str, Any]] = []

    @app.command("/review")
    async def open_form(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=review_form())

    @app.view("review")
    async def submitted(ack: Any, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        summary = values["summary"]["text"]["value"]
        if len(summary) < 20:
            await ack(response_action="errors", errors={"summary": "Write at least 20 characters."})
            return
        await ack()
        filed.append(
            {
                "summary": summary,
                "rating": values["rating"]["pick"]["selected_option"]["value"],
                "meta": view["private_metadata"],
            }
        )

    @app.action("guide")
    async def guide(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_push(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "title": {"type": "plain_text", "text": "How to review"},
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Be kind, be specific."}}],
            },
        )

    return filed


async def test_a_short_answer_is_sent_back_with_its_error_and_a_good_one_closes_the_modal(
    connect: Connect, app: AsyncApp, klass: Klass, reviews: list[dict[str, Any]]
) -> None:
    await connect(app)
    opened = await klass.alice.command("/review", channel=klass.room)
    assert opened.modal is not None and opened.modal.title == "Peer review"

    first = await klass.alice.submit({"summary": {"text": "Too short"}, "rating": {"pick": "4"}})
    assert first.errors == {"summary": "Write at least 20 characters."}
    assert not first.closed and reviews == []

    second = await klass.alice.submit(
        {"summary": {"text": "A clear, careful paper."}, "rating": {"pick": "4"}}
    )
    assert second.closed and second.errors == {} and klass.alice.modal is None
    assert reviews == [{"summary": "A clear, careful paper.", "rating": "4", "meta": "paper=1"}]


async def test_a_button_in_a_modal_pushes_a_second_one_over_it(
    connect: Connect, app: AsyncApp, klass: Klass, reviews: list[dict[str, Any]]
) -> None:
    await connect(app)
    form = (await klass.alice.command("/review", channel=klass.room)).modal
    assert form is not None
    pushed = await klass.alice.click(form, "guide")
    assert pushed.modal is not None and pushed.modal.title == "How to review"
    assert pushed.modal.previous_view_id == form.id
    await klass.alice.close()
    assert klass.alice.modal is form


async def test_what_slacks_client_itself_refuses_never_reaches_the_app(
    connect: Connect, app: AsyncApp, klass: Klass, reviews: list[dict[str, Any]]
) -> None:
    await connect(app)
    await klass.alice.command("/review", channel=klass.room)
    with pytest.raises(ValueError, match="'Rating' \\(rating/pick\\) is required"):
        await klass.alice.submit({"summary": {"text": "A clear, careful paper."}})
    with pytest.raises(ValueError, match="offers no option '6'"):
        await klass.alice.submit({"summary": {"text": "A clear, careful paper."}, "rating": {"pick": "6"}})
    with pytest.raises(ValueError, match="no input"):
        await klass.alice.submit({"summry": {"text": "typo"}})


async def test_a_trigger_id_opens_one_view_within_three_seconds(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    fresh = sb.issue_trigger(klass.alice.id)
    await web.views_open(trigger_id=fresh, view=review_form())
    errors = []
    for trigger in (fresh, "123.456.abc"):
        with pytest.raises(SlackApiError) as e:
            await web.views_open(trigger_id=trigger, view=review_form())
        errors.append(e.value.response["error"])
    stale = sb.issue_trigger(klass.alice.id)
    sb.clock.skip(3.1)
    with pytest.raises(SlackApiError) as e:
        await web.views_open(trigger_id=stale, view=review_form())
    assert [*errors, e.value.response["error"]] == [
        "exchanged_trigger_id",
        "invalid_trigger_id",
        "expired_trigger_id",
    ]


async def test_a_modal_is_updated_by_id_and_a_stale_hash_is_refused(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    opened = await web.views_open(trigger_id=sb.issue_trigger(klass.alice.id), view=review_form())
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    updated = await web.views_update(view_id=view_id, hash=first_hash, view=review_form("Draft kept"))
    assert updated["view"]["hash"] != first_hash
    assert (
        klass.alice.modal is not None
        and klass.alice.modal.blocks[0]["element"]["initial_value"] == "Draft kept"
    )
    with pytest.raises(SlackApiError) as e:
        await web.views_update(view_id=view_id, hash=first_hash, view=review_form())
    assert e.value.response["error"] == "hash_conflict"


async def test_answering_a_submission_with_update_push_or_clear(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    steps = iter(["update", "push", "clear"])

    @app.command("/deliverable")
    async def open_form(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=review_form())

    @app.view("review")
    async def submitted(ack: Any) -> None:
        step = next(steps)
        if step == "clear":
            await ack(response_action="clear")
        else:
            await ack(response_action=step, view=review_form(f"after {step}"))

    await connect(app)
    await klass.bob.command("/deliverable", channel=klass.room)
    filled = {"summary": {"text": "Some summary"}, "rating": {"pick": "3"}}
    updated = await klass.bob.submit(filled)
    assert not updated.closed and updated.showing is updated.view
    assert (
        updated.showing is not None
        and updated.showing.blocks[0]["element"]["initial_value"] == "after update"
    )
    pushed = await klass.bob.submit(filled)
    assert pushed.showing is not None and pushed.showing is not pushed.view
    assert len(sb.modals.stacks[klass.bob.id]) == 2
    cleared = await klass.bob.submit(filled)
    assert cleared.showing is None and klass.bob.modal is None
