"""The windows Conductor opens on Slack hold for any configuration and anything typed: Slack's limits
(100 blocks, 24-character title and buttons, 3,000-character inputs and metadata) are never broken, and
what was typed comes back as the field's value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.slack.answers import Answer, as_message
from bot.adapters.slack.forms import form_view, said_view
from bot.adapters.slack.front import Front
from bot.adapters.slack.modals import TEXT_INPUT_MAX, VIEW_TEXT_MAX, error_text, typed
from bot.adapters.slack.render import Options, Rendered, render
from bot.adapters.slack.roster import BOXES, import_view
from bot.core.plan import Field, Paper, Role
from bot.services.submissions import Form
from slack_sandbox.blockkit import view_problems

NOW = datetime(2024, 3, 12, 12, 45, tzinfo=UTC)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)


class Shows:
    """The part of the front end a window needs: rendering an answer for one reader."""

    def shown(self, what: Answer) -> Rendered:
        return render(as_message(what), Options(now=NOW, ephemeral=True))


FRONT = cast(Front, Shows())


@st.composite
def fields(draw: st.DrawFn) -> Field:
    kind = draw(st.sampled_from(["text", "url", "choice"]))
    choices = tuple(draw(st.lists(words, min_size=1, max_size=120, unique=True))) if kind == "choice" else ()
    top = draw(st.integers(1, 10_000))
    return Field(
        key=draw(st.from_regex(r"[a-z]{1,12}", fullmatch=True)),
        label=draw(words),
        style=draw(st.sampled_from(["short", "long"])),
        kind=kind,  # type: ignore[arg-type]  # drawn from the kinds Field takes
        choices=choices,
        max_length=top,
        min_length=draw(st.integers(0, top)),
        required=draw(st.booleans()),
    )


@FAST
@given(
    st.lists(fields(), min_size=1, max_size=5, unique_by=lambda f: f.key),
    words,
    words,
    st.dictionaries(st.from_regex(r"[a-z]{1,12}", fullmatch=True), st.text(max_size=5000)),
    st.one_of(st.none(), words),
)
def test_a_role_form_fits_slack_whatever_the_configuration_and_the_values(
    given_fields: list[Field], role_name: str, title: str, values: dict[str, str], notice: str | None
) -> None:
    role = Role("r", role_name, role_name, "brief", 1, 2, fields=tuple(given_fields))
    form = Form(7, Paper("p", title, "https://x.org", ()), role, values, NOW if notice else None)
    view = form_view(FRONT, form, notice)
    assert view_problems(view) == []
    assert len(view["title"]["text"]) <= VIEW_TEXT_MAX
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [f.key for f in given_fields]
    for block in inputs:
        assert len(block["element"].get("initial_value", "")) <= TEXT_INPUT_MAX
    assert view_problems(said_view(FRONT, role_name, title)) == []


def submitted(view: dict[str, Any], answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The view as Slack sends it back, with each input's state."""
    return {**view, "state": {"values": {block: {block: state} for block, state in answers.items()}}}


def test_what_was_typed_and_picked_is_read_back_as_the_field_values() -> None:
    rating = Field("rating", "Rating", kind="choice", choices=("Accept", "Reject"))
    view = submitted(
        {},
        {
            "summary": {"type": "plain_text_input", "value": "Six sentences."},
            "rating": {"type": "static_select", "selected_option": {"value": "1"}},
            "empty": {"type": "plain_text_input", "value": None},
            "odd": {"type": "static_select", "selected_option": {"value": "9"}},
        },
    )
    assert typed(view, "summary") == "Six sentences."
    assert typed(view, "rating", rating.choices) == "Reject"
    assert (
        typed(view, "empty") == "" and typed(view, "odd", rating.choices) == "" and typed(view, "none") == ""
    )


def test_a_problem_under_a_field_is_one_plain_short_sentence() -> None:
    assert error_text("**Summary** has 2 sentence(s);\nthe guidance is 5-7 sentences.") == (
        "Summary has 2 sentence(s); the guidance is 5-7 sentences."
    )
    assert len(error_text("x " * 400)) <= 150


@FAST
@given(st.lists(st.text(max_size=TEXT_INPUT_MAX), max_size=BOXES), st.lists(words, max_size=40))
def test_the_class_list_window_keeps_what_was_pasted_and_lists_every_problem(
    pasted: list[str], problems: list[str]
) -> None:
    view = import_view(FRONT, pasted, problems)
    assert view_problems(view) == []
    boxes = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(boxes) == BOXES and not boxes[0]["optional"] and all(b["optional"] for b in boxes[1:])
    assert [b["element"].get("initial_value", "") for b in boxes[: len(pasted)]] == [p or "" for p in pasted]
