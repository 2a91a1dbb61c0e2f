"""Notifications context: in-app notifications (the bell)."""

from typing import ClassVar

from contracts.envelope import Event
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
NOTIFICATIONS_EVENTS = StreamSpec("NOTIFICATIONS_EVENTS", ("notifications.events.>",))


class NotificationCreated(Event):
    subject: ClassVar[str] = "notifications.events.notification.created"

    notification_id: int
    recipient_id: int
    category: str
    title: str
