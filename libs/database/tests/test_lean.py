"""Integration: a repository marked `lean` loads by id with Core and its unit of work saves only
what changed (a JSON value changed in place included), deletes what was removed, outboxes the
events, and rolls back with the rest; a mapping the lean path cannot serve keeps the ORM. On
SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import registry
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

from contracts.bookings import ChildUpdated
from contracts.envelope import Actor, Role, utc_now
from database.engine import create_tables, make_engine
from database.lean import lean_table
from database.outbox import OUTBOX_TABLE
from database.unit_of_work import SqlRepository, SqlUnitOfWork
from domain import Aggregate

ADMIN = Actor(user_id=1, role=Role.admin, name="Ada")
metadata = MetaData()
cards = Table(
    "lean_cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, nullable=False),
    Column("title", String(100), nullable=False),
    Column("answers", JSON, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),  # the services' type: aware datetimes
)
versioned = Table(
    "lean_versioned",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)


class Card(Aggregate):
    def __init__(self, owner_id: int, title: str) -> None:
        self.id: int | None = None
        self.owner_id = owner_id
        self.title = title
        self.answers: dict[str, Any] | None = None
        self.updated_at: datetime = utc_now()

    def retitle(self, title: str) -> None:
        self.title = title
        self.record(ChildUpdated(child_id=self.id or 0, parent_id=self.owner_id, actor=ADMIN))


class Versioned(Aggregate):
    pass


mapper_registry = registry(metadata=metadata)
mapper_registry.map_imperatively(Card, cards)
mapper_registry.map_imperatively(Versioned, versioned, version_id_col=versioned.c.version)


class Cards(SqlRepository[Card]):
    aggregate = Card
    lean = True


class CardsUnitOfWork(SqlUnitOfWork):
    cards: Cards

    def open_repositories(self, session: AsyncSession) -> None:
        self.cards = Cards(session, self.seen)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await create_tables(engine, [cards, OUTBOX_TABLE])
    async with CardsUnitOfWork(engine) as uow:
        first, second = Card(10, "first"), Card(11, "second")
        first.answers = {"allergies": ["nuts"]}
        uow.cards.add(first)
        uow.cards.add(second)
        await uow.commit()
    yield engine
    await engine.dispose()


async def _rows(engine: AsyncEngine) -> dict[int, tuple[Any, ...]]:
    async with engine.connect() as connection:
        found = await connection.execute(select(cards.c.id, cards.c.title, cards.c.answers))
        return {row.id: (row.title, row.answers) for row in found}


async def _outboxed(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        found = await connection.execute(select(OUTBOX_TABLE.c.subject))
        return [row.subject for row in found]


async def test_a_lean_load_is_saved_with_what_changed_and_its_events(engine: AsyncEngine) -> None:
    async with CardsUnitOfWork(engine) as uow:
        card = await uow.cards.get(1)
        assert card is not None and (card.owner_id, card.title) == (10, "first")
        assert card.updated_at.tzinfo is not None
        assert await uow.cards.get(1) is card  # one object per row, as the ORM's identity map
        assert await uow.cards.get(99) is None
        assert card.answers is not None
        card.answers["allergies"].append("eggs")  # in place: still seen as a change
        card.retitle("renamed")
        await uow.commit()
    assert await _rows(engine) == {
        1: ("renamed", {"allergies": ["nuts", "eggs"]}),
        2: ("second", None),
    }
    assert await _outboxed(engine) == [ChildUpdated.subject]


async def test_a_lean_removal_deletes_the_row(engine: AsyncEngine) -> None:
    async with CardsUnitOfWork(engine) as uow:
        card = await uow.cards.get(2)
        assert card is not None
        card.mark_removed()
        await uow.commit()
    assert set(await _rows(engine)) == {1}


async def test_a_lean_change_not_committed_is_not_saved(engine: AsyncEngine) -> None:
    async with CardsUnitOfWork(engine) as uow:
        card = await uow.cards.get(1)
        assert card is not None
        card.retitle("never")
    assert (await _rows(engine))[1][0] == "first"
    assert await _outboxed(engine) == []


def test_only_a_plain_one_table_mapping_is_served_lean() -> None:
    served = lean_table(Card)
    assert served is not None and served.table is cards
    assert lean_table(Versioned) is None
