"""The one Alembic environment of every service: migrates only the tables that service owns
(`config.attributes["metadata"]`, set by `database.migrations`), in batch mode for SQLite."""

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from database.engine import make_engine

metadata: MetaData = context.config.attributes["metadata"]
url = context.config.get_main_option("sqlalchemy.url") or ""


def migrate(connection: Connection) -> None:
    # Batch mode lets SQLite alter tables by copying them.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run() -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(run())
