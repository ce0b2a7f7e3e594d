"""The permission rules without Discord: what Confirm can do given the permission names granted."""

from bot.core.permissions import CHANNEL_NEEDS, Permission, confirm_plan, grant, missing, plan_lines

ALL = frozenset(Permission)


def test_everything_granted_leaves_nothing_to_ask() -> None:
    plan = confirm_plan(ALL)
    assert (plan.table, plan.posts, plan.rooms, plan.private) == (True, True, True, True)
    assert missing(ALL) == [] and plan_lines(plan, ALL, "#class") == []


def test_without_view_channel_only_view_channel_is_asked() -> None:
    plan = confirm_plan(frozenset())
    assert missing(frozenset()) == [("View Channel", "see the class channel")]
    assert not (plan.table or plan.posts or plan.rooms) and plan.rooms_grant == ("View Channel",)


def test_without_manage_threads_rooms_open_but_students_cannot_be_moved_out() -> None:
    granted = ALL - {Permission.MANAGE_THREADS}
    plan = confirm_plan(granted)
    assert plan.rooms and plan.private and plan.rooms_grant == () and plan.other == ()
    assert any("cannot be taken out" in line for line in plan_lines(plan, granted, "#class"))


def test_grant_words_a_list_and_the_permissions_are_discord_attribute_names() -> None:
    assert grant(["A"]) == "**A**" and grant(["A", "B", "C"]) == "**A**, **B** and **C**"
    assert [p.value for p, _, _ in CHANNEL_NEEDS] == [p.value for p in Permission]
    assert Permission.VIEW_CHANNEL == "view_channel"
