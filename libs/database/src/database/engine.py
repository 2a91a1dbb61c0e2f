"""Database engines: SQLite by default, PostgreSQL (asyncpg) when the URL says so."""

from functools import partial
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import SQLModel

from database import sqlite_inline  # registers the `sqlite+inline` dialect


def async_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async drivers."""
    for plain, driver in (
        ("sqlite://", "sqlite+inline://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def make_engine(url: str) -> AsyncEngine:
    sqlite = async_url(url).startswith("sqlite")
    # A file database does not drop connections: a ping per checkout would only cost.
    engine = create_async_engine(async_url(url), pool_pre_ping=not sqlite)
    if engine.url.database and sqlite:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    if sqlite:
        # `sqlite+inline` waits for a writer itself (`sqlite_inline.BUSY_TIMEOUT`).
        busy_ms = 0 if engine.driver == "inline" else round(sqlite_inline.BUSY_TIMEOUT * 1000)
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_ms))
    return engine


def _sqlite_pragmas(busy_ms: int, dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    # WAL lets the outbox relay read while a request writes; the timeout waits out a writer.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def create_tables(engine: AsyncEngine, tables: list[object]) -> None:
    """Create a service's own tables (idempotent); each service lists only what it owns."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: SQLModel.metadata.create_all(sync, tables=tables)  # type: ignore[arg-type]
        )
