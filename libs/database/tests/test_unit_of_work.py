"""Integration: a unit of work saving an aggregate someone else changed since it was read
answers a conflict naming it, and saves nothing, on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import registry
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.errors import ErrorCode, ServiceError
from database.engine import create_tables, make_engine
from database.outbox import OUTBOX_TABLE, OutboxMessage
from database.unit_of_work import SqlRepository, SqlUnitOfWork
from domain import Aggregate

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(100), nullable=False),
    Column("version", Integer, nullable=False),
)


class Note(Aggregate):
    noun = "note"

    def __init__(self, text: str) -> None:
        self.id: int | None = None
        self.text = text


registry(metadata=metadata).map_imperatively(Note, notes, version_id_col=notes.c.version)


class Notes(SqlRepository[Note]):
    aggregate = Note


class NotesUnitOfWork(SqlUnitOfWork):
    notes: Notes

    def open_repositories(self, session: AsyncSession) -> None:
        self.notes = Notes(session, self.seen)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await create_tables(engine, [notes, OUTBOX_TABLE])
    yield engine
    await engine.dispose()


async def test_saving_what_someone_else_changed_meanwhile_is_a_conflict(
    engine: AsyncEngine,
) -> None:
    async with NotesUnitOfWork(engine) as uow:
        uow.notes.add(Note("first"))
        await uow.commit()

    async with NotesUnitOfWork(engine) as mine, NotesUnitOfWork(engine) as theirs:
        my_note, their_note = await mine.notes.get(1), await theirs.notes.get(1)
        assert my_note is not None and their_note is not None
        their_note.text = "theirs"
        await theirs.commit()
        my_note.text = "mine"
        with pytest.raises(ServiceError) as raised:
            await mine.commit()

    assert raised.value.code is ErrorCode.conflict
    assert raised.value.message == (
        "note 1 was changed by someone else meanwhile; reload and try again"
    )
    async with NotesUnitOfWork(engine) as check:
        stored = await check.notes.get(1)
        assert stored is not None and stored.text == "theirs"
        outbox = await check.session.exec(OutboxMessage.__table__.select())  # type: ignore[attr-defined]
        assert outbox.all() == []


async def test_removing_what_someone_else_changed_meanwhile_is_a_conflict(
    engine: AsyncEngine,
) -> None:
    async with NotesUnitOfWork(engine) as uow:
        uow.notes.add(Note("first"))
        await uow.commit()

    async with NotesUnitOfWork(engine) as mine, NotesUnitOfWork(engine) as theirs:
        my_note, their_note = await mine.notes.get(1), await theirs.notes.get(1)
        assert my_note is not None and their_note is not None
        their_note.text = "theirs"
        await theirs.commit()
        my_note.mark_removed()
        with pytest.raises(ServiceError) as raised:
            await mine.commit()

    assert raised.value.code is ErrorCode.conflict and "note 1" in raised.value.message
