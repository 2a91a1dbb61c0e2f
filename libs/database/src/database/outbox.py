"""The transactional outbox table: an event row commits in the same transaction as the domain
change it reports. `messaging.outbox_relay` publishes the rows to JetStream."""

from collections.abc import Iterable
from datetime import datetime
from typing import NotRequired, TypedDict

import orjson
from opentelemetry import propagate
from sqlalchemy import Column, LargeBinary, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Event, utc_now


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=36)
    subject: str = Field(max_length=255)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: str = "{}"
    created_at: datetime = Field(default_factory=utc_now)
    published_at: datetime | None = Field(default=None, index=True)


class OutboxRow(TypedDict):
    """One row as staged: what the relay publishes, whether it reads it back or is handed it.
    `id` is the row's key once inserted (`stage_all` reads it back)."""

    id: NotRequired[int]
    event_id: str
    subject: str
    payload: bytes
    headers: str
    created_at: datetime


def stage(session: AsyncSession, event: Event) -> None:
    """Add `event` to the session's transaction, with the current trace context, so that the
    relay's publish continues the trace of the request that caused it."""
    session.add(OutboxMessage(**rows_of([event])[0]))


async def stage_all(session: AsyncSession, events: Iterable[Event]) -> list[OutboxRow]:
    """`stage` for many events at once, as one INSERT on the session's connection (no ORM
    objects to build and flush): what a unit of work's commit uses. Returns the rows with their
    ids, which the unit of work hands to the relay once they are committed."""
    rows = rows_of(events)
    if rows:
        connection = await session.connection()
        inserted = await connection.execute(_INSERT_RETURNING_IDS, rows)
        for row, row_id in zip(rows, inserted.scalars(), strict=True):
            row["id"] = row_id
    return rows


def rows_of(events: Iterable[Event]) -> list[OutboxRow]:
    """The outbox rows of `events`, each carrying the current trace context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    headers, now = orjson.dumps(carrier).decode(), utc_now()
    return [
        OutboxRow(
            event_id=str(event.event_id),
            subject=event.subject,
            payload=orjson.dumps(event.model_dump(mode="json")),
            headers=headers,
            created_at=now,
        )
        for event in events
    ]


OUTBOX_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]
_INSERT_RETURNING_IDS = insert(OUTBOX_TABLE).returning(
    OUTBOX_TABLE.c.id, sort_by_parameter_order=True
)


async def delete_published_before(engine: AsyncEngine, cutoff: datetime, batch: int) -> int:
    """Delete up to `batch` rows published before `cutoff`, in one short transaction; how many.
    A row not yet published is never deleted, however old."""
    c = OUTBOX_TABLE.c
    oldest = (
        select(c.id)
        .where(c.published_at.is_not(None), c.published_at < cutoff)
        .order_by(c.id)
        .limit(batch)
    )
    async with engine.begin() as connection:
        ids = list((await connection.execute(oldest)).scalars())
        if ids:
            await connection.execute(delete(OUTBOX_TABLE).where(c.id.in_(ids)))
    return len(ids)
