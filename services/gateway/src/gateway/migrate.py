"""Schema of the gateway database (idempotent)."""

from messaging.db import create_tables, make_engine

from gateway.models import TABLES


async def migrate(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await create_tables(engine, TABLES)
    finally:
        await engine.dispose()
