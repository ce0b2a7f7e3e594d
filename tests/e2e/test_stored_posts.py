"""Posts waiting in the outbox across an upgrade: one stored by an older version (Discord's own words) still
goes out as it was stored, and reads exactly like the same post stored as a neutral message."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.message import Card, Field, Mention, Message, Time, Tone, bold, rich
from bot.messages.outbox import stored
from bot.storage import outbox

from .conftest import Classroom

ENDS = 1710248400


async def test_a_post_stored_by_an_older_version_goes_out_as_stored_and_reads_like_a_new_one(
    classroom: Classroom,
) -> None:
    room, bot = classroom, classroom.bot
    assert bot is not None
    ada = room.students[0]
    older = {
        "content": f"<@{ada.id}> Time's up for **Welcome**.",
        "embeds": [
            {  # as discord.Embed.to_dict() wrote it
                "type": "rich",
                "title": "Now: Do the role!",
                "description": "Work alone on your role.",
                "color": 0x2ECC71,
                "fields": [{"name": "Ends", "value": f"<t:{ENDS}:t>", "inline": True}],
            }
        ],
        "mentions": [ada.id],
        "view": None,
        "notify": room.instructor.id,
    }
    card = Card(
        title=rich("Now: Do the role!"),
        body=rich("Work alone on your role."),
        fields=(Field(rich("Ends"), rich(Time(datetime.fromtimestamp(ENDS, UTC))), inline=True),),
        tone=Tone.RUNNING,
    )
    text = rich(Mention(ada.id), " Time's up for ", bold("Welcome"), ".")
    newer = stored(Message(text, (card,), mentions=(ada.id,)), notify=room.instructor.id)
    async with bot.db.session() as s, s.begin():
        for key, payload in (("older", older), ("newer", newer)):
            await outbox.enqueue(
                s,
                scope="upgrade:1",
                key=key,
                channel_id=room.channel.id,
                payload=payload,
                now=bot.clock.now(),
            )
    await bot.deliverer.flush("upgrade:1")
    first, second = room.posts()[-2:]
    assert first.content == f"<@{ada.id}> Time's up for **Welcome**." == second.content
    assert first.embeds == second.embeds and first.embeds[0]["fields"][0]["value"] == f"<t:{ENDS}:t>"
    assert first.embeds[0]["color"] == 0x2ECC71 and first.embeds[0]["title"] == "Now: Do the role!"
    for post in (first, second):  # Ada, and only Ada, is pinged
        assert post.allowed_mentions is not None
        assert [int(u) for u in post.allowed_mentions["users"]] == [ada.id]
        assert post.allowed_mentions["parse"] == []
