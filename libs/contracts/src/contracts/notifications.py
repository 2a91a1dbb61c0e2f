"""Notifications context: in-app notifications (the bell), their preferences, and the activity
feed ("X did Y") that every domain event writes once."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Actor, Event, Page, Reply, Request
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
NOTIFICATIONS_EVENTS = StreamSpec("NOTIFICATIONS_EVENTS", ("notifications.events.>",))


class Category(StrEnum):
    """What a notification is about; preferences are set per category and channel."""

    child_checklist = "child_checklist"
    trainer_assigned = "trainer_assigned"
    session_cancelled = "session_cancelled"
    payment = "payment"
    absence = "absence"


class Channel(StrEnum):
    in_app = "in_app"
    web_push = "web_push"


# --- the bell -----------------------------------------------------------------------------


class NotificationDetails(Reply):
    id: int
    recipient_id: int
    category: Category
    title: str
    body: str
    link: str | None = None
    read_at: datetime | None = None
    archived_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class NotificationPage(Page):
    items: list[NotificationDetails]


class ListNotifications(Request[NotificationPage]):
    """The caller's own notifications, newest first; archived ones only when asked."""

    subject: ClassVar[str] = "notifications.requests.list_notifications"

    unread: bool | None = None
    category: Category | None = None
    archived: bool = False
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class UnreadCount(Reply):
    count: int


class CountUnread(Request[UnreadCount]):
    """How many of the caller's notifications are unread and not archived."""

    subject: ClassVar[str] = "notifications.requests.count_unread"


class MarkNotificationRead(Request[NotificationDetails]):
    """Reading an already read notification changes nothing."""

    subject: ClassVar[str] = "notifications.requests.mark_read"

    notification_id: int


class ReadAll(Reply):
    up_to_id: int
    marked: int


class MarkAllRead(Request[ReadAll]):
    """Mark read every unread notification of the caller with an id up to `up_to_id` (the newest
    the client has seen), so one that arrives meanwhile stays unread. Repeating it marks none."""

    subject: ClassVar[str] = "notifications.requests.mark_all_read"

    up_to_id: int = Field(ge=0)


class ArchiveNotification(Request[NotificationDetails]):
    subject: ClassVar[str] = "notifications.requests.archive"

    notification_id: int


# --- preferences --------------------------------------------------------------------------


class Preference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category
    channel: Channel
    enabled: bool
    # A pair the user's role cannot turn off.
    required: bool = False


class Preferences(Reply):
    items: list[Preference]


class GetNotificationPreferences(Request[Preferences]):
    """Every (category, channel) pair for the caller: their choice, or their role's default."""

    subject: ClassVar[str] = "notifications.requests.get_preferences"


class PreferenceChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category
    channel: Channel
    enabled: bool


class UpdateNotificationPreferences(Request[Preferences]):
    """Set the pairs given (others keep their value); turning off a required pair is invalid."""

    subject: ClassVar[str] = "notifications.requests.update_preferences"

    items: list[PreferenceChoice] = Field(max_length=100)


# --- the activity feed (Activity Streams 2.0 in spirit) ---------------------------------


class FeedObject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    id: int | None = None


class ActivityEntry(Reply):
    id: int
    actor: Actor | None = None
    verb: str
    object: FeedObject
    target: FeedObject | None = None
    summary: str
    event_id: str
    occurred_at: datetime


class ActivityPage(Page):
    items: list[ActivityEntry]


class ListActivity(Request[ActivityPage]):
    """Admins: the feed, newest first, narrowed by actor, verb, object type and dates
    (inclusive)."""

    subject: ClassVar[str] = "notifications.requests.list_activity"

    actor_id: int | None = None
    verb: str | None = Field(default=None, max_length=50)
    object_type: str | None = Field(default=None, max_length=50)
    date_from: date | None = None
    date_to: date | None = None
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


# --- events ------------------------------------------------------------------------------


class NotificationCreated(Event):
    subject: ClassVar[str] = "notifications.events.notification.created"

    notification_id: int
    recipient_id: int
    category: str
    title: str


class NotificationMarkedRead(Event):
    subject: ClassVar[str] = "notifications.events.notification.marked_read"

    notification_id: int
    recipient_id: int


class NotificationsMarkedRead(Event):
    """Every unread notification of the recipient up to `up_to_id` was marked read at once."""

    subject: ClassVar[str] = "notifications.events.notification.all_marked_read"

    recipient_id: int
    up_to_id: int
    marked: int


class NotificationArchived(Event):
    subject: ClassVar[str] = "notifications.events.notification.archived"

    notification_id: int
    recipient_id: int


class ActivityRecorded(Event):
    """A feed entry was written: admins' pages refetch the feed."""

    subject: ClassVar[str] = "notifications.events.activity.recorded"

    entry_id: int
    verb: str
    object_type: str
