"""The transactional outbox table: an event row commits in the same transaction as the domain
change it reports. `messaging.outbox_relay` publishes the rows to JetStream."""

from datetime import datetime

import orjson
from opentelemetry import propagate
from sqlalchemy import Column, LargeBinary
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


def stage(session: AsyncSession, event: Event) -> None:
    """Add `event` to the session's transaction, with the current trace context, so that the
    relay's publish continues the trace of the request that caused it."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    session.add(
        OutboxMessage(
            event_id=str(event.event_id),
            subject=event.subject,
            payload=orjson.dumps(event.model_dump(mode="json")),
            headers=orjson.dumps(carrier).decode(),
        )
    )


OUTBOX_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]
