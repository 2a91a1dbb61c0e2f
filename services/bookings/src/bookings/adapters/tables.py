"""The tables bookings owns, and the mapping of its aggregates onto them (SQLAlchemy imperative
mapping: the domain classes stay plain Python). `TABLES` is what its migrations manage."""

from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table
from sqlalchemy.orm import registry
from sqlmodel.sql.sqltypes import UTCDateTime

from bookings.domain.child import Child
from database.inbox import INBOX_TABLE
from database.outbox import OUTBOX_TABLE

metadata = MetaData()

children = Table(
    "children",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("checklist", JSON, nullable=True),
    Column("checklist_submitted_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

TABLES = [children, OUTBOX_TABLE, INBOX_TABLE]

_mapper = registry(metadata=metadata)


def map_aggregates() -> None:
    """Map each aggregate class to its table, once per process."""
    if not _mapper.mappers:
        _mapper.map_imperatively(Child, children)
