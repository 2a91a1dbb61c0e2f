"""The tables notifications owns, and the mapping of its aggregates onto them (SQLAlchemy
imperative mapping: the domain classes stay plain Python). `TABLES` is what its migrations
manage."""

from sqlalchemy import (
    Boolean,
    Column,
    Enum,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import registry
from sqlmodel.sql.sqltypes import UTCDateTime

from contracts.envelope import Role
from contracts.notifications import Category, Channel
from database.inbox import INBOX_TABLE
from database.outbox import OUTBOX_TABLE
from database.processed_requests import PROCESSED_REQUESTS_TABLE
from notifications.domain.activity import SUMMARY_MAX, ActivityEntry
from notifications.domain.notification import BODY_MAX, LINK_MAX, TITLE_MAX, UserNotification
from notifications.domain.preferences import NotificationPreference
from notifications.domain.users import User

metadata = MetaData()


def _enum(kind: type[Category] | type[Channel] | type[Role]) -> Enum:
    # Stored as text, not a native enum type: adding a value is then no schema change.
    return Enum(kind, native_enum=False, length=32)


user_notifications = Table(
    "user_notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recipient_id", Integer, nullable=False),
    Column("category", _enum(Category), nullable=False),
    Column("title", String(TITLE_MAX), nullable=False),
    Column("body", String(BODY_MAX), nullable=False),
    Column("link", String(LINK_MAX), nullable=True),
    Column("source_event_id", String(36), nullable=False),
    Column("read_at", UTCDateTime, nullable=True),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The last guard of exactly once, should the inbox ever be bypassed.
    UniqueConstraint("source_event_id", "recipient_id", "category"),
    # The unread count and the first page of the bell: one index range each.
    Index("ix_user_notifications_unread", "recipient_id", "read_at", "archived_at", "id"),
    Index("ix_user_notifications_recipient_id", "recipient_id", "id"),
    # Retention finds old read notifications by age.
    Index("ix_user_notifications_created_at", "created_at"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("role", _enum(Role), nullable=False, index=True),
    Column("name", String(120), nullable=False),
)

notification_preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("category", _enum(Category), primary_key=True),
    Column("channel", _enum(Channel), primary_key=True),
    Column("enabled", Boolean, nullable=False),
)

activity_entries = Table(
    "activity_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("actor_id", Integer, nullable=True, index=True),
    Column("actor_role", _enum(Role), nullable=True),
    Column("actor_name", String(120), nullable=True),
    Column("verb", String(50), nullable=False, index=True),
    Column("object_type", String(50), nullable=False, index=True),
    Column("object_id", Integer, nullable=True),
    Column("target_type", String(50), nullable=True),
    Column("target_id", Integer, nullable=True),
    Column("summary", String(SUMMARY_MAX), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False, index=True),
)

TABLES = [
    user_notifications,
    users,
    notification_preferences,
    activity_entries,
    OUTBOX_TABLE,
    INBOX_TABLE,
    PROCESSED_REQUESTS_TABLE,
]

_mapper = registry(metadata=metadata)


def map_aggregates() -> None:
    """Map each aggregate class to its table, once per process."""
    if _mapper.mappers:
        return
    _mapper.map_imperatively(UserNotification, user_notifications)
    _mapper.map_imperatively(User, users)
    _mapper.map_imperatively(NotificationPreference, notification_preferences)
    _mapper.map_imperatively(ActivityEntry, activity_entries)
