"""Which process serves which guild: Discord's shard formula, and a process's set of shards."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import ConductorError


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to: (guild_id >> 22) % shard_count."""
    if shard_count < 1:
        raise ValueError("shard_count must be at least 1")
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class Shards:
    """The shards one process owns out of `count`; it serves exactly the guilds of those shards."""

    ids: tuple[int, ...]
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ConductorError(f"SHARD_COUNT must be at least 1, not {self.count}.")
        if not self.ids:
            raise ConductorError("SHARD_IDS names no shard: give at least one, e.g. `0,1`.")
        wrong = [i for i in self.ids if not 0 <= i < self.count]
        if wrong:
            raise ConductorError(
                f"Shard {wrong[0]} does not exist with SHARD_COUNT={self.count}: shards are numbered "
                f"0 to {self.count - 1}."
            )
        if len(set(self.ids)) != len(self.ids):
            raise ConductorError(f"SHARD_IDS names a shard twice: {', '.join(map(str, self.ids))}.")

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process serves the guild (work of no guild belongs to the owner of shard 0)."""
        return shard_of(guild_id or 0, self.count) in self.ids

    @property
    def syncs_commands(self) -> bool:
        """Only the process owning shard 0 syncs slash commands (they are global, not per shard)."""
        return 0 in self.ids

    def describe(self) -> str:
        """E.g. "shards 0, 1 of 4"."""
        return f"shard{'s' if len(self.ids) > 1 else ''} {', '.join(map(str, self.ids))} of {self.count}"


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """Shard ids as typed: "0,1", "2-3" or "0, 2-3"; a clear error otherwise."""
    ids: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise ConductorError(
                f"Cannot read the shard ids {text!r}: write them like `0,1` or `0-3`."
            ) from None
        if last < first:
            raise ConductorError(f"The shard range {part!r} runs backwards: write it like `0-3`.")
        ids.extend(range(first, last + 1))
    return tuple(ids)


def shards_from(shard_count: int | None, shard_ids: str | None) -> Shards | None:
    """The process's shards from SHARD_COUNT and SHARD_IDS (None: one process, no sharding)."""
    if shard_count is None and not shard_ids:
        return None
    if shard_count is None:
        raise ConductorError("SHARD_IDS needs SHARD_COUNT: how many shards there are in all processes.")
    ids = parse_shard_ids(shard_ids) if shard_ids else tuple(range(shard_count))
    return Shards(ids, shard_count)
