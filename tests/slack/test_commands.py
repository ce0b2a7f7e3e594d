"""What instructors and students type after a Slack slash command, and what Conductor reads from it."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack.command_list import (
    SPECS,
    ConductorVerb,
    Name,
    ProjectVerb,
    RolesVerb,
    RosterVerb,
    SessionVerb,
    Spec,
    prefix_problem,
)
from bot.adapters.slack.commands import (
    Bare,
    CalendarCommand,
    ConductorCommand,
    ExportCommand,
    ProjectCommand,
    RolesCommand,
    RosterCommand,
    SessionCommand,
    SubmitCommand,
    Usage,
    parse,
)
from bot.adapters.slack.ids import to_int

ANNA = "<@U01ANNA0001|anna>"
BEN = "<@U01BEN00002>"  # Slack sends a mention with or without the name


def test_an_afternoon_of_session_commands() -> None:
    assert parse("/session", "start") == SessionCommand(SessionVerb.START)
    assert parse("/session", "start afternoon") == SessionCommand(SessionVerb.START, plan="afternoon")
    assert parse("/session", "start afternoon 13:50") == SessionCommand(
        SessionVerb.START, plan="afternoon", at="13:50"
    )
    assert parse("/session", "start 1:50pm") == SessionCommand(SessionVerb.START, at="1:50pm")
    assert parse("/session", "start at 13:50") == SessionCommand(SessionVerb.START, at="13:50")
    assert parse("/session", "start 2024-03-12 13:50") == SessionCommand(
        SessionVerb.START, at="2024-03-12 13:50"
    )
    # As the Discord command's options read, for those used to them.
    assert parse("/session", "start plan:afternoon at:13:50") == SessionCommand(
        SessionVerb.START, plan="afternoon", at="13:50"
    )
    for verb in ("status", "pause", "resume", "next", "back", "projector", "stop"):
        assert parse("/session", verb) == SessionCommand(SessionVerb(verb))
    assert parse("/session", "  PAUSE ") == SessionCommand(SessionVerb.PAUSE)
    assert parse("/session", "skip") == SessionCommand(SessionVerb.NEXT)
    assert parse("/session", "extend 5") == SessionCommand(SessionVerb.EXTEND, minutes=5.0)
    assert parse("/session", "extend -2") == SessionCommand(SessionVerb.EXTEND, minutes=-2.0)
    assert parse("/session", "extend 2,5 min") == SessionCommand(SessionVerb.EXTEND, minutes=2.5)
    assert parse("/session", "extend 90s") == SessionCommand(SessionVerb.EXTEND, minutes=1.5)


def usage(parsed: object) -> Usage:
    assert isinstance(parsed, Usage), parsed
    return parsed


def test_empty_or_help_shows_what_to_type() -> None:
    for text in ("", "help", "?"):
        answer = usage(parse("/session", text))
        assert answer.problem is None
        assert "• `/session extend &lt;minutes&gt;`: give the current phase more minutes" in answer.text
        assert answer.text.endswith("Only instructors can use it.")


def test_wrong_session_input_says_what_to_type() -> None:
    assert (
        usage(parse("/session", "paus")).problem == "`/session` has no `paus`. Did you mean `/session pause`?"
    )
    assert (
        usage(parse("/session", "pause now")).problem
        == "`/session pause` takes nothing after it, but I got `now`."
    )
    assert (
        usage(parse("/session", "extend")).problem
        == "Say how many minutes: `/session extend 5` (or `-2` to shorten)."
    )
    assert usage(parse("/session", "extend five")).problem == (
        "`five` is not a number of minutes: type e.g. `5`, `-2` or `90s`."
    )
    assert "not zero" in str(usage(parse("/session", "extend 0")).problem)
    assert "not zero" in str(usage(parse("/session", "extend 99999")).problem)


def test_changing_the_assignment_names_students_by_mention() -> None:
    anna, ben = to_int("U01ANNA0001"), to_int("U01BEN00002")
    assert parse("/roles", "status") == RolesCommand(RolesVerb.STATUS)
    assert parse("/roles", f"swap {ANNA} {BEN}") == RolesCommand(RolesVerb.SWAP, student=anna, other=ben)
    assert parse("/roles", f"move {ANNA} gemini reviewer") == RolesCommand(
        RolesVerb.MOVE, student=anna, paper="gemini", role="reviewer"
    )
    assert parse("/roles", f"add {BEN}") == RolesCommand(RolesVerb.ADD, student=ben)
    assert parse("/roles", f"remove {ANNA}") == RolesCommand(RolesVerb.REMOVE, student=anna)


def test_a_name_typed_as_text_is_not_a_person() -> None:
    answer = usage(parse("/roles", "swap @anna @ben"))
    assert answer.problem == (
        "I got `@anna` as plain text, not as a person: type @ and pick them from the list Slack shows, "
        "so Slack tells me who they are."
    )
    assert (
        usage(parse("/roles", "add")).problem
        == "Name the student: type @ and pick them from the list Slack shows."
    )
    assert usage(parse("/roles", f"move {ANNA} gemini")).problem == (
        "Type the student, the paper and the role: `/roles move @student &lt;paper&gt; &lt;role&gt;`."
    )
    assert "not a person" in str(usage(parse("/roles", "add <#C0123|general>")).problem)


def test_students_submit_a_link_as_slack_sends_it() -> None:
    sent = "<https://docs.google.com/presentation/d/x?a=1&amp;b=2|docs.google.com/presentation/d/x>"
    expected = SubmitCommand("https://docs.google.com/presentation/d/x?a=1&b=2")
    assert parse("/submit", sent) == expected
    assert parse("/submit", f"slides {sent}") == expected  # as the Discord command reads
    assert parse("/submit", "docs.google.com/x") == SubmitCommand(
        "docs.google.com/x"
    )  # the service judges it
    assert usage(parse("/submit", "")).problem == "Add the link: `/submit https://…`."
    assert (
        usage(parse("/submit", "two links")).problem == "Send one link, without spaces: `/submit https://…`."
    )
    assert usage(parse("/submit", "<!here>")).problem == "That is a mention, not a link: `/submit https://…`."


def test_commands_without_arguments() -> None:
    for name in ("assign", "checkin", "myrole", "links", "deliverable", "review", "deliverables"):
        assert parse(f"/{name}", "") == Bare(Name(name))
        assert (
            usage(parse(f"/{name}", "please")).problem
            == f"`/{name}` takes nothing after it, but I got `please`."
        )


def test_export_roster_calendar_conductor() -> None:
    assert parse("/export", "") == ExportCommand()
    assert parse("/export", "#12") == ExportCommand(12)
    assert "session number" in str(usage(parse("/export", "latest")).problem)
    assert parse("/roster", "import") == RosterCommand(RosterVerb.IMPORT)
    assert parse("/roster", "list") == RosterCommand(RosterVerb.LIST)
    assert parse("/calendar", "") == CalendarCommand()
    assert parse("/calendar", "ics") == CalendarCommand(ics=True)
    assert "takes only `ics`" in str(usage(parse("/calendar", "next week")).problem)
    assert parse("/conductor", "status") == ConductorCommand(ConductorVerb.STATUS)


def test_project_groups() -> None:
    anna = to_int("U01ANNA0001")
    assert parse("/project", "list") == ProjectCommand(ProjectVerb.LIST)
    assert parse("/project", "list post") == ProjectCommand(ProjectVerb.LIST, post=True)
    assert parse("/project", "create Team Rocket") == ProjectCommand(ProjectVerb.CREATE, name="Team Rocket")
    assert parse("/project", "create “Team Rocket”") == ProjectCommand(ProjectVerb.CREATE, name="Team Rocket")
    assert parse("/project", "join K7M2QX") == ProjectCommand(ProjectVerb.JOIN, code="K7M2QX")
    assert parse("/project", "choose dit") == ProjectCommand(ProjectVerb.CHOOSE, proposal="dit")
    assert parse("/project", f"place {ANNA} Team Rocket") == ProjectCommand(
        ProjectVerb.PLACE, student=anna, group="Team Rocket"
    )
    assert parse("/project", "assign Team Rocket dit") == ProjectCommand(
        ProjectVerb.ASSIGN, group="Team Rocket", proposal="dit"
    )
    assert parse("/project", 'assign "Team Rocket" dit') == ProjectCommand(
        ProjectVerb.ASSIGN, group="Team Rocket", proposal="dit"
    )
    assert parse("/project", "approve Team &amp; Co") == ProjectCommand(
        ProjectVerb.APPROVE, group="Team & Co"
    )
    assert parse("/project", '"return" "Team Rocket" add an evaluation &lt;soon&gt;') == ProjectCommand(
        ProjectVerb.RETURN, group="Team Rocket", reason="add an evaluation <soon>"
    )
    for verb in ("leave", "propose", "status", "export"):
        assert parse("/project", verb) == ProjectCommand(ProjectVerb(verb))
    assert usage(parse("/project", "join K7M 2QX")).problem == "A code is one word: `/project join K7M2QX`."
    assert (
        usage(parse("/project", "create")).problem == "Name your group: `/project create &lt;group name&gt;`."
    )


def test_a_prefix_for_workspaces_where_the_names_are_taken() -> None:
    assert parse("/cd-session", "pause", prefix="cd-") == SessionCommand(SessionVerb.PAUSE)
    answer = usage(parse("/cd-session", "", prefix="cd-"))
    assert "`/cd-session start [plan] [HH:MM]`" in answer.text
    unknown = usage(parse("/session", "pause", prefix="cd-"))
    assert unknown.problem == "I do not know `/session`. Conductor's commands:"
    assert "• `/cd-roles`: The confirmed assignment" in unknown.help
    assert prefix_problem("cd-") is None and prefix_problem("") is None
    assert "lowercase letters" in str(prefix_problem("CD "))
    assert "too long" in str(prefix_problem("x" * 20))


EXAMPLES = {
    "[plan] [HH:MM]": "afternoon 13:50",
    "<minutes>": "5",
    "@student @student": f"{ANNA} {BEN}",
    "@student <paper> <role>": f"{ANNA} gemini reviewer",
    "@student": ANNA,
    "<link to your slides>": "<https://slides.example/s>",
    "[session number]": "3",
    "[post]": "post",
    "<group name>": "Team Rocket",
    "<code>": "K7M2QX",
    "<proposal>": "dit",
    "@student <group>": f"{ANNA} Team Rocket",
    "<group> <proposal>": "Team Rocket dit",
    "<group>": "Team Rocket",
    '"<group>" <reason>': '"Team Rocket" add an evaluation',
}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name.value)
def test_every_use_the_help_shows_is_read_as_a_command(spec: Spec) -> None:
    command = f"/{spec.name.value}"
    for use in spec.uses:
        text = " ".join(p for p in (use.verb, EXAMPLES.get(use.args, use.args)) if p)
        assert not isinstance(parse(command, text), Usage), (use, text)
        if not use.args or use.args.startswith("["):  # what is optional may be left out
            assert not isinstance(parse(command, use.verb or ""), Usage), use


SLACKISH = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            [
                "start",
                "extend",
                "swap",
                "move",
                "place",
                "assign",
                "return",
                "list",
                "post",
                "ics",
                "slides",
                ANNA,
                BEN,
                "<@u1>",
                "<@U1|>",
                "<@ZZZZZZZZZZZZZ>",
                "<#C1|x>",
                "<!here>",
                "<https://x.example|x>",
                '"',
                "“",
                "”",
                "&amp;",
                "&lt;",
                "13:50",
                "-2",
                "nan",
                "inf",
                "1e999",
                "@here",
                "`",
                " ",
                "\n",
            ]
        ),
        max_size=6,
    ).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([n.value for n in Name] + ["nope", ""]), SLACKISH, st.sampled_from(["", "cd-"]))
def test_any_text_is_read_or_answered_with_what_to_type_and_never_raises(
    name: str, text: str, prefix: str
) -> None:
    parsed = parse(f"/{prefix}{name}", text, prefix=prefix)
    if isinstance(parsed, Usage):
        assert parsed.help and f"/{prefix}" in parsed.help
        # The answer is mrkdwn: what the person typed is echoed inert (no `<…>` token at all).
        assert "<" not in parsed.text and ">" not in parsed.text, parsed.text
        assert re.search(r"`[^`]+`", parsed.text)  # it shows something to type
    elif isinstance(parsed, SessionCommand) and parsed.minutes is not None:
        assert parsed.minutes == parsed.minutes and abs(parsed.minutes) <= 24 * 60
