"""Versioned schema migrations (Alembic) for a service's own tables, on SQLite or PostgreSQL.

Each service keeps `migrations/` beside its package with a two-line `env.py` that calls
`run_env(TABLES)`; `upgrade(url, folder)` brings a database to the newest revision, and
`python -m messaging.migrations revision <service> "<message>"` writes the next revision from
the difference between the models and the migrated schema.
"""

import asyncio
import importlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection

from messaging.db import make_engine


def _config(database_url: str, folder: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def metadata_of(tables: Sequence[Table]) -> MetaData:
    """A metadata holding only these tables, so a service never migrates another's."""
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    return metadata


def run_env(tables: Sequence[Table]) -> None:
    """The body of a service's `migrations/env.py`."""
    metadata = metadata_of(tables)
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None

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


async def upgrade(database_url: str, folder: Path) -> None:
    """Apply every revision not yet applied (idempotent). Alembic runs its own event loop, so it
    runs in a thread."""
    await asyncio.to_thread(command.upgrade, _config(database_url, folder), "head")


def revision(folder: Path, message: str) -> None:
    """Autogenerate the next revision against a scratch SQLite database at the current head."""
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(f"sqlite:///{scratch}/scratch.db", folder)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "revision":
        print('usage: python -m messaging.migrations revision <service> "<message>"')
        sys.exit(2)
    service = sys.argv[2]
    package = importlib.import_module(service)
    revision(Path(str(package.__file__)).parent / "migrations", sys.argv[3])
