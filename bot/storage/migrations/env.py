"""Alembic environment: runs on the connection the bot hands in, or on its own engine from the CLI."""

from alembic import context
from sqlalchemy import Connection, create_engine

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    configured = config.get_main_option("sqlalchemy.url")
    assert configured is not None, "alembic_config() always sets sqlalchemy.url"
    url = configured.replace("+aiosqlite", "").replace("+asyncpg", "")
    with create_engine(url).connect() as conn:
        run_on(conn)
        conn.commit()
