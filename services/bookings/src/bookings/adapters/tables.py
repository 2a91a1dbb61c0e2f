"""The tables bookings owns, and the mapping of its aggregates onto them (SQLAlchemy imperative
mapping: the domain classes stay plain Python). `TABLES` is what its migrations manage."""

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Time,
    select,
)
from sqlalchemy.orm import column_property, registry
from sqlmodel.sql.sqltypes import UTCDateTime

from bookings.domain.booking import Booking
from bookings.domain.child import Child
from bookings.domain.payment import Payment
from bookings.domain.schedule import Schedule
from contracts.bookings import BookingStatus, PaymentStatus, ScheduleStatus
from database.inbox import INBOX_TABLE
from database.outbox import OUTBOX_TABLE
from database.processed_requests import PROCESSED_REQUESTS_TABLE

metadata = MetaData()


def _status(enum: type[BookingStatus | ScheduleStatus | PaymentStatus]) -> Enum:
    # Stored as the value's text, not as a database enum type, so that a new status is no
    # schema change on PostgreSQL.
    return Enum(enum, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


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

# Bookings, sessions and payments never reuse the id of a deleted row (SQLite would, without
# `sqlite_autoincrement`): events and notifications name them by id.
bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("children.id"), nullable=False, index=True),
    Column("parent_id", Integer, nullable=False, index=True),
    Column("status", _status(BookingStatus), nullable=False),
    Column("notes", String(2000), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# No foreign key to bookings: a booking and its sessions are deleted in one flush, whose order
# among mappers without relationships SQLAlchemy does not promise.
schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("booking_id", Integer, nullable=False, index=True),
    Column("child_id", Integer, nullable=False, index=True),
    Column("parent_id", Integer, nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("location", String(200), nullable=False),
    Column("status", _status(ScheduleStatus), nullable=False),
    Column("trainer_id", Integer, nullable=True),
    Column("trainer_user_id", Integer, nullable=True, index=True),
    Column("trainer_name", String(200), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_schedules_date_start_time", "date", "start_time"),
    Index("ix_schedules_trainer_id_date", "trainer_id", "date"),
    sqlite_autoincrement=True,
)

# One row per trainer, written first by every transaction that books a trainer's time: it
# serialises them per trainer (a row lock on PostgreSQL, the write lock on SQLite).
trainer_calendars = Table(
    "trainer_calendars",
    metadata,
    Column("trainer_id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("booking_id", Integer, nullable=False, index=True),
    Column("payer_id", Integer, nullable=False),
    # 12 digits as the contract allows, 4 of them decimals (the most any currency has).
    Column("amount", Numeric(16, 4), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", _status(PaymentStatus), nullable=False),
    Column("reference", String(200), nullable=True),
    Column("failure_reason", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

TABLES = [
    children,
    bookings,
    schedules,
    trainer_calendars,
    payments,
    OUTBOX_TABLE,
    INBOX_TABLE,
    PROCESSED_REQUESTS_TABLE,
]

_mapper = registry(metadata=metadata)


def map_aggregates() -> None:
    """Map each aggregate class to its table, once per process."""
    if _mapper.mappers:
        return
    _mapper.map_imperatively(Child, children)
    _mapper.map_imperatively(Booking, bookings)
    child_name = select(children.c.name).where(children.c.id == schedules.c.child_id)
    _mapper.map_imperatively(
        Schedule,
        schedules,
        # The child's name as it is now, read with every session (a rename needs no copy);
        # kept after a flush, since the domain set it when it planned the session.
        properties={
            "child_name": column_property(child_name.scalar_subquery(), expire_on_flush=False)
        },
        # A session changed since it was read fails to save (StaleDataError): a conflict.
        version_id_col=schedules.c.version,
    )
    _mapper.map_imperatively(Payment, payments)
