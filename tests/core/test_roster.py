"""Reading class lists: headers in any spelling or none, BOMs, separators, blank lines, clear problems."""

from __future__ import annotations

from bot.core.roster import SLACK, decode, discord_key, match, parse_roster, same_member


def test_a_plain_file_with_a_bom_a_header_and_blank_lines() -> None:
    data = "\ufeffStudent ID,Name,Discord username\r\n\r\ns000001,Student One,student01\r\n  ,,\r\ns000002, Student Two ,@Student02#0\r\n"
    parsed = parse_roster(decode(data.encode("utf-8")))
    assert parsed.problems == ()
    assert [(r.line, r.student_id, r.name, r.discord) for r in parsed.rows] == [
        (3, "s000001", "Student One", "student01"),
        (5, "s000002", "Student Two", "student02"),
    ]


def test_header_variants_column_order_and_separators() -> None:
    text = "discord_id;Full name;student_number\n<@123456789012345678>;Student One;s1\n"
    parsed = parse_roster(text)
    assert parsed.problems == ()
    assert parsed.rows[0].discord == "123456789012345678" and parsed.rows[0].student_id == "s1"
    tabbed = parse_roster("sid\tname\tusername\ns1\tA\ta\n")
    assert [r.discord for r in tabbed.rows] == ["a"]


def test_without_a_header_the_columns_are_id_name_discord() -> None:
    parsed = parse_roster('s1,"Doe, Jane",jane\ns2,Bob,bob\n')
    assert [(r.student_id, r.name, r.discord) for r in parsed.rows] == [
        ("s1", "Doe, Jane", "jane"),
        ("s2", "Bob", "bob"),
    ]


def test_utf16_and_latin1_files_are_read() -> None:
    assert "Søren" in decode("id,name,discord\ns1,Søren,soren\n".encode("utf-16"))
    assert "Søren" in decode("id,name,discord\ns1,Søren,soren\n".encode("latin-1"))


def test_problems_name_the_lines_and_nothing_is_half_read() -> None:
    text = "student id,name,discord\ns1,A,a\ns2,,b\ns1,C,c\ns3,D,A\n"
    parsed = parse_roster(text)
    assert "Line 3: no name." in parsed.problems
    assert any("Duplicate student id `s1` on lines 2, 4" in p for p in parsed.problems)
    assert any("Duplicate Discord user `a` on lines 2, 5" in p for p in parsed.problems)
    assert parse_roster("").problems and parse_roster("\n\n").rows == ()
    missing = parse_roster("name,discord\nA,a\n")
    assert missing.rows == () and "no **student id** column" in missing.problems[0]


def test_matching_by_username_or_id() -> None:
    parsed = parse_roster(
        "id,name,discord\ns1,A,Alice\ns2,B,222222222222222222\ns3,C,ghost\ns4,D,alice#1234\n"
    )
    matched = match(
        parsed.rows, {"alice": 111111111111111111}, frozenset({111111111111111111, 222222222222222222})
    )
    assert matched == {2: 111111111111111111, 3: 222222222222222222, 4: None, 5: 111111111111111111}
    assert any("Duplicate Discord user `alice`" in p for p in parsed.problems)
    assert same_member(parsed.rows, matched) == [
        "Lines 2, 5 name the same Discord member: each student once."
    ]
    assert discord_key(" @Bob ") == "bob"


def test_a_header_without_students_is_refused_rather_than_emptying_the_class_list() -> None:
    parsed = parse_roster(decode(b"student id,name,discord\n\n"))
    assert parsed.rows == ()
    assert parsed.problems == ("The file has a header but no students: nothing was changed.",)


def test_a_range_pasted_from_a_spreadsheet_for_slack_is_read_by_email_or_name() -> None:
    pasted = "Student ID\tName\tE-mail\ns1\tAnna Hansen\tAnna.Hansen@Example.edu\ns2\tBo Ek\t\n"
    parsed = parse_roster(pasted, SLACK)
    assert parsed.problems == ()
    assert [(r.student_id, r.name, r.discord) for r in parsed.rows] == [
        ("s1", "Anna Hansen", "anna.hansen@example.edu"),
        ("s2", "Bo Ek", "bo ek"),  # no e-mail: the name is matched
    ]
    two_columns = parse_roster("sid\tname\ns1\tAnna\n", SLACK)
    assert [r.discord for r in two_columns.rows] == ["anna"]
    assert (
        parse_roster("sid\tname\ns1\tAnna\n")
        .problems[0]
        .startswith("The header row has no **Discord username or id** column")
    ), "on Discord the member column stays required"


def test_slack_problems_name_the_slack_column() -> None:
    parsed = parse_roster("id,name,email\ns1,A,a@x.org\ns2,B,A@x.org\ns3,,c@x.org\n", SLACK)
    assert "Line 4: no name." in parsed.problems
    assert any("Duplicate Slack e-mail or name `a@x.org` on lines 2, 3" in p for p in parsed.problems)
    rows = parse_roster("id,name,email\ns1,A,a@x.org\ns2,B,b\n", SLACK).rows
    assert same_member(rows, {2: 7, 3: 7}, SLACK) == [
        "Lines 2, 3 name the same Slack member: each student once."
    ]
