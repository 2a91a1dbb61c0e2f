"""The tables trainers owns, and the mapping of its aggregates onto them (SQLAlchemy imperative
mapping: the domain classes stay plain Python). `TABLES` is what its migrations manage."""

from sqlalchemy import Column, Date, Enum, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import registry, relationship
from sqlalchemy.orm.collections import attribute_keyed_dict
from sqlmodel.sql.sqltypes import UTCDateTime

from contracts.trainers import (
    ACTIVITY_MAX,
    LOCATION_MAX,
    NOTES_MAX,
    REASON_MAX,
    AbsenceStatus,
)
from database.inbox import INBOX_TABLE
from database.outbox import OUTBOX_TABLE
from database.processed_requests import PROCESSED_REQUESTS_TABLE
from trainers.domain.absence import AbsenceRequest
from trainers.domain.activity_log import ActivityLog
from trainers.domain.time_entry import TimeEntry
from trainers.domain.trainer import AvailableDate, Trainer

metadata = MetaData()

trainers = Table(
    "trainers",
    metadata,
    Column("id", Integer, primary_key=True),
    # One profile per trainer user, however often their `UserCreated` arrives.
    Column("user_id", Integer, nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

trainer_availability = Table(
    "trainer_availability",
    metadata,
    Column(
        "trainer_id",
        Integer,
        ForeignKey("trainers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("date", Date, primary_key=True),
)

absence_requests = Table(
    "absence_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("trainer_id", Integer, ForeignKey("trainers.id"), nullable=False, index=True),
    Column("trainer_user_id", Integer, nullable=False, index=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("reason", String(REASON_MAX), nullable=False),
    # Stored as text, not a native enum type: adding a status is then no schema change.
    Column("status", Enum(AbsenceStatus, native_enum=False, length=16), nullable=False),
    Column("decided_by", Integer, nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Sessions are bookings'; their trainer, parent and date are copied from bookings' answer at
# clock-in. No foreign key to `trainers`: the trainer id is bookings' record of the assignment.
time_entries = Table(
    "time_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    # One entry per session: of two racing clock-ins, the second insert fails (a conflict).
    Column("schedule_id", Integer, nullable=False, unique=True),
    Column("trainer_id", Integer, nullable=False, index=True),
    Column("trainer_user_id", Integer, nullable=False),
    Column("parent_id", Integer, nullable=False),
    Column("session_date", Date, nullable=False),
    Column("clocked_in_at", UTCDateTime, nullable=False),
    Column("clock_in_location", String(LOCATION_MAX), nullable=True),
    Column("clocked_out_at", UTCDateTime, nullable=True),
    Column("clock_out_location", String(LOCATION_MAX), nullable=True),
    Column("activity", String(ACTIVITY_MAX), nullable=True),
    Column("activity_location", String(LOCATION_MAX), nullable=True),
    Column("activity_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

activity_logs = Table(
    "activity_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schedule_id", Integer, nullable=False, index=True),
    Column("trainer_id", Integer, nullable=False),
    Column("trainer_user_id", Integer, nullable=False),
    Column("parent_id", Integer, nullable=False),
    Column("activity", String(ACTIVITY_MAX), nullable=False),
    Column("notes", String(NOTES_MAX), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

TABLES = [
    trainers,
    trainer_availability,
    absence_requests,
    time_entries,
    activity_logs,
    OUTBOX_TABLE,
    INBOX_TABLE,
    PROCESSED_REQUESTS_TABLE,
]

_mapper = registry(metadata=metadata)


def map_aggregates() -> None:
    """Map each aggregate class to its table, once per process."""
    if _mapper.mappers:
        return
    _mapper.map_imperatively(
        AvailableDate, trainer_availability, properties={"day": trainer_availability.c.date}
    )
    _mapper.map_imperatively(
        Trainer,
        trainers,
        properties={
            # The set is loaded with its trainer (async sessions cannot lazy-load) and rows of
            # days dropped from it are deleted, so one flush replaces it.
            "availability": relationship(
                AvailableDate,
                collection_class=attribute_keyed_dict("day"),
                cascade="all, delete-orphan",
                lazy="selectin",
            ),
        },
    )
    _mapper.map_imperatively(AbsenceRequest, absence_requests)
    _mapper.map_imperatively(TimeEntry, time_entries)
    _mapper.map_imperatively(ActivityLog, activity_logs)
