"""Schema of the trainers database (idempotent)."""

from messaging.db import create_tables, make_engine
from messaging.outbox import OUTBOX_TABLE


async def migrate(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await create_tables(engine, [OUTBOX_TABLE])
    finally:
        await engine.dispose()
