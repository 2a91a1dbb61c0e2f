"""Versioned schema migrations (Alembic) of a service's own tables, on SQLite or PostgreSQL.

A service keeps only its revisions, in `<package>/migrations/versions/`; the environment and the
revision template are shared (`database/alembic/`). `upgrade` brings a database to the newest
revision; `revision` (`./dev revision <service> "<message>"`) writes the next one from the
difference between the service's tables and its migrated schema.
"""

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table

ENVIRONMENT = Path(__file__).parent / "alembic"


def metadata_of(tables: Sequence[Table]) -> MetaData:
    """A metadata holding only these tables, so a service never migrates another's."""
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    return metadata


def _config(database_url: str, versions: Path, tables: Sequence[Table]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["metadata"] = metadata_of(tables)
    return config


async def upgrade(database_url: str, versions: Path, tables: Sequence[Table]) -> None:
    """Apply every revision not yet applied (idempotent). Alembic runs its own event loop, so it
    runs in a thread."""
    await asyncio.to_thread(command.upgrade, _config(database_url, versions, tables), "head")


def revision(versions: Path, tables: Sequence[Table], message: str) -> None:
    """Autogenerate the next revision against a scratch SQLite database at the current head."""
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(f"sqlite:///{scratch}/scratch.db", versions, tables)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
