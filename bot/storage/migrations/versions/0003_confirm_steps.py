"""confirm steps: each step of a confirmed assignment with its own status

Revision ID: 0002_h4
Revises: 0002_h2
Create Date: 2026-11-29 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_h4"
down_revision: str | None = "0002_h2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "confirm_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=140), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "key"),
    )
    with op.batch_alter_table("confirm_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_confirm_steps_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("confirm_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confirm_steps_session_id"))
    op.drop_table("confirm_steps")
