"""Tables the bookings service owns."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from contracts.envelope import utc_now
from messaging.outbox import OUTBOX_TABLE


class Child(SQLModel, table=True):
    __tablename__ = "children"

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int = Field(index=True)
    name: str = Field(max_length=120)
    date_of_birth: date
    checklist: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    checklist_submitted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


TABLES = [Child.__table__, OUTBOX_TABLE]  # type: ignore[attr-defined]
