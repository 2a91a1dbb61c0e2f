"""Each service's Alembic revisions build exactly the tables its models describe, on SQLite
and PostgreSQL, and applying them twice changes nothing."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from database.engine import make_engine
from database.migrations import metadata_of
from runtime.service import definition, migrate, service_names

# Every installed service that owns a database, found by its entry point.
SERVICES = [name for name in service_names() if definition(name).database is not None]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models(service: str, database_url: str) -> None:
    found = definition(service)
    assert found.database is not None
    tables = found.database.tables
    await migrate(found, database_url)
    await migrate(found, database_url)  # idempotent: a restart applies nothing new

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, metadata_of(tables)))

    def table_names(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            owned = {table.name for table in tables} | {"alembic_version"}
            assert await connection.run_sync(table_names) == owned
    finally:
        await engine.dispose()
