"""A UserNotification: one recipient's bell entry about one domain event. Reading and archiving
change it once; each change records the event that refreshes its recipient's bell."""

from datetime import datetime
from uuid import UUID

from contracts.envelope import Actor, utc_now
from contracts.notifications import (
    Category,
    NotificationArchived,
    NotificationCreated,
    NotificationMarkedRead,
)
from domain import Aggregate

TITLE_MAX = 200
BODY_MAX = 1000
LINK_MAX = 500


class UserNotification(Aggregate):
    noun = "notification"

    def __init__(
        self,
        recipient_id: int,
        category: Category,
        title: str,
        body: str,
        link: str | None,
        source_event_id: UUID,
    ) -> None:
        self.id: int | None = None
        self.recipient_id = recipient_id
        self.category = category
        self.title = title[:TITLE_MAX]
        self.body = body[:BODY_MAX]
        self.link = link[:LINK_MAX] if link else None
        self.source_event_id = str(source_event_id)
        self.read_at: datetime | None = None
        self.archived_at: datetime | None = None
        self.created_at = self.updated_at = utc_now()

    @classmethod
    def create(
        cls,
        actor: Actor | None,
        recipient_id: int,
        category: Category,
        texts: tuple[str, str, str | None],
        source_event_id: UUID,
    ) -> "UserNotification":
        title, body, link = texts
        made = cls(recipient_id, category, title, body, link, source_event_id)
        made.record_once_identified(
            lambda nid: NotificationCreated(
                actor=actor,
                notification_id=nid,
                recipient_id=recipient_id,
                category=category.value,
                title=made.title,
            )
        )
        return made

    @property
    def unread(self) -> bool:
        """Counted by the bell: not read and not archived."""
        return self.read_at is None and self.archived_at is None

    def mark_read(self, actor: Actor) -> bool:
        """Read it, once; True when it changed."""
        if self.read_at is not None:
            return False
        self.read_at = self.updated_at = utc_now()
        self.record(self._marked(NotificationMarkedRead, actor))
        return True

    def archive(self, actor: Actor) -> bool:
        """Archive it, once; True when it changed."""
        if self.archived_at is not None:
            return False
        self.archived_at = self.updated_at = utc_now()
        self.record(self._marked(NotificationArchived, actor))
        return True

    def _marked(
        self, kind: type[NotificationMarkedRead] | type[NotificationArchived], actor: Actor
    ) -> NotificationMarkedRead | NotificationArchived:
        assert self.id is not None
        return kind(actor=actor, notification_id=self.id, recipient_id=self.recipient_id)
