"""Which process serves which guild: Discord's formula, and a set of processes covering every guild once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import ConductorError
from bot.core.shards import Shards, parse_shard_ids, shard_of, shards_from

snowflakes = st.integers(min_value=0, max_value=2**63 - 1)


def test_the_timestamp_part_of_the_id_decides() -> None:
    assert shard_of(197038439483310086, 2) == (197038439483310086 >> 22) % 2
    assert shard_of(0, 4) == 0
    assert shard_of(5 << 22, 4) == 1


@given(snowflakes, st.integers(min_value=1, max_value=64), st.integers(min_value=1, max_value=8), st.data())
def test_processes_splitting_the_shards_serve_every_guild_exactly_once(
    guild_id: int, count: int, processes: int, data: st.DataObject
) -> None:
    owner = data.draw(st.lists(st.integers(0, processes - 1), min_size=count, max_size=count))
    split = [tuple(s for s in range(count) if owner[s] == p) for p in range(processes)]
    serving = [Shards(ids, count) for ids in split if ids]
    assert sum(s.owns(guild_id) for s in serving) == 1
    assert sum(s.syncs_commands for s in serving) == 1
    assert 0 <= shard_of(guild_id, count) < count


@given(snowflakes, st.integers(min_value=1, max_value=64))
def test_one_process_with_every_shard_serves_every_guild(guild_id: int, count: int) -> None:
    shards = shards_from(count, None)
    assert shards is not None and shards.owns(guild_id) and shards.owns(None)


def test_shard_ids_as_people_type_them() -> None:
    assert parse_shard_ids("0,1") == (0, 1)
    assert parse_shard_ids(" 0, 2-3 ") == (0, 2, 3)
    assert shards_from(None, None) is None
    assert shards_from(4, "2-3") == Shards((2, 3), 4)
    assert Shards((2, 3), 4).describe() == "shards 2, 3 of 4"


@pytest.mark.parametrize(
    ("count", "ids", "words"),
    [
        (None, "0", "needs SHARD_COUNT"),
        (4, "4", "does not exist"),
        (4, "x", "Cannot read"),
        (4, "3-1", "backwards"),
        (4, "1,1", "twice"),
        (0, None, "at least 1"),
        (4, ",", "names no shard"),
    ],
)
def test_wrong_shard_settings_are_refused_clearly(count: int | None, ids: str | None, words: str) -> None:
    with pytest.raises(ConductorError, match=words):
        shards_from(count, ids)
