"""The inbox of an idempotent consumer: the ids of the events it has processed.

`exactly_once` wraps a handler `(event, uow) -> None` so that its effect and the inbox row
commit in one transaction: a redelivery, the same event published again under another
`Nats-Msg-Id`, or a crash between commit and ack finds the row and changes nothing.

The row is written first, with `ON CONFLICT DO NOTHING`: one statement instead of a read and
a write, and a second delivery of the same event on PostgreSQL waits on the first one's row
and then does nothing, instead of running the handler to fail at commit.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import UniqueConstraint, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Event, utc_now
from database.insert_new import InsertNew

log = logging.getLogger(__name__)


class InboxEntry(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consumer: str = Field(max_length=100)
    event_id: str = Field(max_length=36)
    subject: str = Field(max_length=255)
    processed_at: datetime = Field(default_factory=utc_now)


INBOX_TABLE = InboxEntry.__table__  # type: ignore[attr-defined]
# Plain SQL on the unit of work's connection: no ORM objects to build, track and flush.
_SEEN = select(INBOX_TABLE.c.id).where(
    INBOX_TABLE.c.consumer == bindparam("consumer"),
    INBOX_TABLE.c.event_id == bindparam("event_id"),
)
_RECORD_NEW = InsertNew(INBOX_TABLE, ["consumer", "event_id"])


class InboxUnitOfWork(Protocol):
    """What `exactly_once` needs of a service's unit of work."""

    session: AsyncSession

    async def __aenter__(self) -> "InboxUnitOfWork": ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


U = TypeVar("U", bound=InboxUnitOfWork)


async def already_processed(session: AsyncSession, consumer: str, event: Event) -> bool:
    connection = await session.connection()
    found = await connection.execute(_SEEN, {"consumer": consumer, "event_id": str(event.event_id)})
    return found.first() is not None


def exactly_once(
    consumer: str,
    new_uow: Callable[[], U],
    handler: Callable[[Event, U], Awaitable[None]],
) -> Callable[[Event], Awaitable[None]]:
    """The handler a `DurableConsumer` calls: skip what the inbox has seen, else run `handler`
    in a fresh unit of work and commit its effect with the inbox row; the ack comes after."""

    async def handle(event: Event) -> None:
        uow = new_uow()
        try:
            async with uow:
                if not await _record_new(await uow.session.connection(), consumer, event):
                    log.info("%s already processed %s", consumer, event.event_id)
                    return
                await handler(event, uow)
                await uow.commit()
        except IntegrityError:
            # Another delivery of the same event committed first (two instances, or a
            # redelivery racing a slow first attempt): its effect stands, ours rolled back.
            async with new_uow() as check:
                if not await already_processed(check.session, consumer, event):
                    raise
            log.info("%s: concurrent delivery of %s already committed", consumer, event.event_id)

    return handle


async def _record_new(connection: AsyncConnection, consumer: str, event: Event) -> bool:
    """Write the inbox row of `event`, unless one is there: whether it was new."""
    row = {
        "consumer": consumer,
        "event_id": str(event.event_id),
        "subject": event.subject,
        "processed_at": utc_now(),
    }
    result = await connection.execute(_RECORD_NEW.on(connection), row)
    return bool(result.rowcount)
