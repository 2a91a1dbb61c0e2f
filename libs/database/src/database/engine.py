"""Database engines: SQLite by default, PostgreSQL (asyncpg) when the URL says so."""

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import SQLModel


def async_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async drivers."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def make_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(async_url(url), pool_pre_ping=True)
    if engine.url.database and engine.dialect.name == "sqlite":
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    # WAL lets the outbox relay read while a request writes; the timeout waits out a writer.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def create_tables(engine: AsyncEngine, tables: list[object]) -> None:
    """Create a service's own tables (idempotent); each service lists only what it owns."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: SQLModel.metadata.create_all(sync, tables=tables)  # type: ignore[arg-type]
        )
