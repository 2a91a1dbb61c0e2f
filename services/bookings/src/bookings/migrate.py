"""Schema of the bookings database (idempotent)."""

from bookings.models import TABLES
from messaging.db import create_tables, make_engine


async def migrate(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await create_tables(engine, TABLES)
    finally:
        await engine.dispose()
