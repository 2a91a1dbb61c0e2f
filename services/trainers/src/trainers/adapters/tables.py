"""The tables trainers owns, and the mapping of its aggregates onto them (SQLAlchemy imperative
mapping: the domain classes stay plain Python). `TABLES` is what its migrations manage."""

from sqlalchemy import Column, Date, Enum, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import registry, relationship
from sqlalchemy.orm.collections import attribute_keyed_dict
from sqlmodel.sql.sqltypes import UTCDateTime

from contracts.trainers import REASON_MAX, AbsenceStatus
from database.inbox import INBOX_TABLE
from database.outbox import OUTBOX_TABLE
from trainers.domain.absence import AbsenceRequest
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

TABLES = [trainers, trainer_availability, absence_requests, OUTBOX_TABLE, INBOX_TABLE]

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
