"""Notifications context: in-app notifications (the bell)."""

from typing import ClassVar

from contracts.envelope import Event


class NotificationCreated(Event):
    subject: ClassVar[str] = "notifications.events.notification.created"

    notification_id: int
    recipient_id: int
    category: str
    title: str
