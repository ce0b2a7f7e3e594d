"""posts.guild_id: the guild a post belongs to, so each process delivers only its own guilds' posts

Revision ID: 0002_h7
Revises: 0002_h8
Create Date: 2026-11-29 11:30:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_h7"
down_revision: str | None = "0002_h8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_SCOPE = re.compile(r"^(?:session|card):(\d+)")


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guild_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_posts_guild_id"), ["guild_id"], unique=False)
    # Posts still waiting get their session's guild, so the process owning that guild delivers them.
    posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("scope", sa.String), sa.column("status"))
    posts_guild = sa.table("posts", sa.column("id", sa.Integer), sa.column("guild_id", sa.BigInteger))
    sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("guild_id", sa.BigInteger))
    conn = op.get_bind()
    guilds = dict(conn.execute(sa.select(sessions.c.id, sessions.c.guild_id)).all())
    for post_id, scope in conn.execute(
        sa.select(posts.c.id, posts.c.scope).where(posts.c.status == "pending")
    ):
        match = SESSION_SCOPE.match(scope)
        guild = guilds.get(int(match.group(1))) if match else None
        if guild is not None:
            conn.execute(sa.update(posts_guild).where(posts_guild.c.id == post_id).values(guild_id=guild))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_guild_id"))
        batch_op.drop_column("guild_id")
