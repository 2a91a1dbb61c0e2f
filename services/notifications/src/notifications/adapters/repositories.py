"""Loading and storing notifications' aggregates; the only place its SQL lives."""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from contracts.envelope import Role
from contracts.notifications import Category, Channel
from database.insert_new import InsertNew
from database.paging import newest_first
from database.unit_of_work import SqlRepository
from notifications.adapters.tables import (
    activity_entries,
    notification_preferences,
    user_notifications,
    users,
)
from notifications.domain.activity import ActivityEntry
from notifications.domain.notification import UserNotification
from notifications.domain.preferences import NotificationPreference
from notifications.domain.users import User

N = user_notifications.c
_ENTRY_COLUMNS = [c.name for c in activity_entries.c if c.name != "id"]
# An event's entry is written once: a second one for the same event id is no row, not an error.
_INSERT_NEW_ENTRY = InsertNew(activity_entries, ["event_id"], returning=activity_entries.c.id)


class NotificationRepository(Protocol):
    def add(self, notification: UserNotification, /) -> None: ...

    async def get(self, notification_id: int, /) -> UserNotification | None: ...

    async def of_event(self, source_event_id: str, /) -> set[tuple[int, Category]]:
        """(recipient, category) of the notifications already made from this event."""
        ...

    async def newest_first(
        self,
        recipient_id: int,
        unread: bool | None,
        category: Category | None,
        archived: bool,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[UserNotification], str | None]:
        """A page of one recipient's notifications, newest first. Raises
        `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...

    async def count_unread(self, recipient_id: int, /) -> int: ...

    async def mark_all_read(self, recipient_id: int, up_to_id: int, at: datetime) -> int:
        """Mark read every unread, unarchived notification of the recipient with id up to
        `up_to_id`, in one statement; how many."""
        ...

    async def delete_read_before(self, cutoff: datetime, batch: int) -> int:
        """Delete up to `batch` read notifications created before `cutoff`; how many."""
        ...


class UserRepository(Protocol):
    def add(self, user: User, /) -> None: ...

    async def get(self, user_id: int, /) -> User | None: ...

    async def admin_ids(self) -> list[int]: ...


class PreferenceRepository(Protocol):
    def add(self, preference: NotificationPreference, /) -> None: ...

    async def of_user(self, user_id: int, /) -> list[NotificationPreference]: ...

    async def chosen(
        self, user_ids: Collection[int], category: Category, channel: Channel
    ) -> dict[int, bool]:
        """The explicit choices of these users for one pair, in one query."""
        ...


class ActivityRepository(Protocol):
    async def insert(self, entry: ActivityEntry, /) -> bool:
        """Store a new entry now, giving it its id, unless its event has one already (the feed
        writes one per domain event): whether it was stored."""
        ...

    async def newest_first(
        self,
        actor_id: int | None,
        verb: str | None,
        object_type: str | None,
        since: datetime | None,
        before: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[ActivityEntry], str | None]: ...

    async def delete_before(self, cutoff: datetime, batch: int) -> int: ...


class SqlNotificationRepository(SqlRepository[UserNotification]):
    aggregate = UserNotification

    async def of_event(self, source_event_id: str, /) -> set[tuple[int, Category]]:
        query = select(N.recipient_id, N.category).where(N.source_event_id == source_event_id)
        return {(r, Category(c)) for r, c in (await self.session.exec(query)).all()}

    async def newest_first(
        self,
        recipient_id: int,
        unread: bool | None,
        category: Category | None,
        archived: bool,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[UserNotification], str | None]:
        query = select(UserNotification).where(N.recipient_id == recipient_id)
        query = query.where(N.archived_at.is_not(None) if archived else N.archived_at.is_(None))
        if unread is not None:
            query = query.where(N.read_at.is_(None) if unread else N.read_at.is_not(None))
        if category is not None:
            query = query.where(N.category == category)
        rows, next_cursor = await newest_first(self.session, query, N.id, cursor, limit)
        for row in rows:
            self.track(row)
        return rows, next_cursor

    async def count_unread(self, recipient_id: int, /) -> int:
        query = select(func.count()).where(
            N.recipient_id == recipient_id, N.read_at.is_(None), N.archived_at.is_(None)
        )
        return int((await self.session.exec(query)).one())

    async def mark_all_read(self, recipient_id: int, up_to_id: int, at: datetime) -> int:
        result = await self.session.exec(
            update(user_notifications)
            .where(
                N.recipient_id == recipient_id,
                N.id <= up_to_id,
                N.read_at.is_(None),
                N.archived_at.is_(None),
            )
            .values(read_at=at, updated_at=at)
        )
        return int(result.rowcount)

    async def delete_read_before(self, cutoff: datetime, batch: int) -> int:
        query = select(N.id).where(N.read_at.is_not(None), N.created_at < cutoff).limit(batch)
        ids = list((await self.session.exec(query)).all())
        if ids:
            await self.session.exec(delete(user_notifications).where(N.id.in_(ids)))
        return len(ids)


class SqlUserRepository(SqlRepository[User]):
    aggregate = User

    async def admin_ids(self) -> list[int]:
        query = select(users.c.user_id).where(users.c.role == Role.admin).order_by(users.c.user_id)
        return list((await self.session.exec(query)).all())


P = notification_preferences.c


class SqlPreferenceRepository(SqlRepository[NotificationPreference]):
    aggregate = NotificationPreference

    async def of_user(self, user_id: int, /) -> list[NotificationPreference]:
        query = select(NotificationPreference).where(P.user_id == user_id)
        found = list((await self.session.exec(query)).all())
        for row in found:
            self.track(row)
        return found

    async def chosen(
        self, user_ids: Collection[int], category: Category, channel: Channel
    ) -> dict[int, bool]:
        if not user_ids:
            return {}
        query = select(P.user_id, P.enabled).where(
            col(P.user_id).in_(user_ids), P.category == category, P.channel == channel
        )
        return {user: bool(on) for user, on in (await self.session.exec(query)).all()}


A = activity_entries.c


class SqlActivityRepository(SqlRepository[ActivityEntry]):
    """The feed's write path is plain SQL on the unit of work's connection: one INSERT that
    returns the id, no ORM object to track and flush (a seventh of the service's CPU per event
    went to that flush)."""

    aggregate = ActivityEntry

    async def insert(self, entry: ActivityEntry, /) -> bool:
        connection = await self.session.connection()
        row = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
        inserted = await connection.execute(_INSERT_NEW_ENTRY.on(connection), row)
        entry.id = inserted.scalar_one_or_none()
        if entry.id is None:
            return False
        self._seen(entry)  # its ActivityRecorded goes to the outbox at commit
        return True

    async def newest_first(
        self,
        actor_id: int | None,
        verb: str | None,
        object_type: str | None,
        since: datetime | None,
        before: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[ActivityEntry], str | None]:
        query = select(ActivityEntry)
        if actor_id is not None:
            query = query.where(A.actor_id == actor_id)
        if verb is not None:
            query = query.where(A.verb == verb)
        if object_type is not None:
            query = query.where(A.object_type == object_type)
        if since is not None:
            query = query.where(A.occurred_at >= since)
        if before is not None:
            query = query.where(A.occurred_at < before)
        return await newest_first(self.session, query, A.id, cursor, limit)

    async def delete_before(self, cutoff: datetime, batch: int) -> int:
        query = select(A.id).where(A.occurred_at < cutoff).limit(batch)
        ids = list((await self.session.exec(query)).all())
        if ids:
            await self.session.exec(delete(activity_entries).where(A.id.in_(ids)))
        return len(ids)
