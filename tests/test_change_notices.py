"""Thread notices of a change (as Discord shows them): real mentions of those in the thread, typed names shown
inert, within limits."""

from __future__ import annotations

import re
from pathlib import Path

from bot.adapters.discord.render import stored_payload
from bot.config import load_config
from bot.core.assignment import Seat
from bot.core.changes import affected
from bot.messages.changes import notice_post

COURSE = load_config(Path(__file__).resolve().parents[1] / "config.toml")


def test_a_leaver_is_named_inert_and_those_left_are_pinged() -> None:
    before = {"11": Seat("dit", "reviewer"), "12": Seat("dit", "reviewer"), "13": Seat("dit", "impact")}
    after = {k: v for k, v in before.items() if k != "11"}
    names = {11: "*Bold* <@99> @everyone", 12: "Bo", 13: "Cy"}
    posts = {
        n.key: stored_payload(notice_post(n, COURSE, names, notify=1))
        for n in affected(before, after).notices
    }
    group, pair = posts["group:dit"], posts["partners:dit:reviewer"]
    assert group["mentions"] == [12, 13] and pair["mentions"] == [12]
    for post in (group, pair):
        mentioned = {int(u) for u in re.findall(r"<@!?(\d+)>", post["content"])}
        assert mentioned == set(post["mentions"])  # every ping is in the text, nobody else is mentioned
        assert "<@11>" not in post["content"] and "<@99>" not in post["content"]
        assert "@everyone" not in post["content"] and r"\*Bold\*" in post["content"]
    assert "is absent today and no longer holds Scientific Peer Reviewer with you" in pair["content"]


def test_a_whole_class_reshuffled_still_fits_one_message() -> None:
    before = {str(100 + i): Seat("dit", "reviewer") for i in range(60)}
    after = {str(100 + i): Seat("dit", "impact") for i in range(60)}
    names = {100 + i: "N" * 32 for i in range(60)}
    for notice in affected(before, after).notices:
        post = stored_payload(notice_post(notice, COURSE, names, notify=1))
        assert len(post["content"]) <= 2000
        assert "more change(s)" in post["content"]
        mentioned = {int(u) for u in re.findall(r"<@!?(\d+)>", post["content"])}
        assert mentioned == set(post["mentions"]) == set(range(100, 160))  # nobody's ping is cut off
