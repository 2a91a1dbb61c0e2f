"""The bookings schema: Alembic revisions in `migrations/`, applied up to the newest."""

from pathlib import Path

from messaging.migrations import upgrade

MIGRATIONS = Path(__file__).parent / "migrations"


async def migrate(database_url: str) -> None:
    await upgrade(database_url, MIGRATIONS)
