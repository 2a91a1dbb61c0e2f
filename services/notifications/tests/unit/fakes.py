"""In-memory stand-ins for the notifications adapters: a fake database shared by fake units of
work, each of which works on copies and writes back only at commit, as a transaction would."""

import copy
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Self, TypeVar

from contracts.envelope import Event, Role
from contracts.notifications import Category, Channel
from database.paging import decode_cursor, page_of
from domain import Aggregate
from notifications.domain.activity import ActivityEntry
from notifications.domain.notification import UserNotification
from notifications.domain.preferences import NotificationPreference
from notifications.domain.users import User

R = TypeVar("R", UserNotification, ActivityEntry)
PrefKey = tuple[int, Category, Channel]


class FakeDatabase:
    def __init__(self) -> None:
        self.notifications: dict[int, UserNotification] = {}
        self.users: dict[int, User] = {}
        self.preferences: dict[PrefKey, NotificationPreference] = {}
        self.entries: dict[int, ActivityEntry] = {}
        self.outbox: list[Event] = []
        self.commits = 0
        self._last_id = 0

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id


def _page(
    rows: dict[int, R], keep: Callable[[R], bool], cursor: str | None, limit: int
) -> tuple[list[R], str | None]:
    below = decode_cursor(cursor)
    found = [
        copy.deepcopy(row)
        for key, row in sorted(rows.items(), reverse=True)
        if (below is None or key < below) and keep(row)
    ]
    return page_of(found[: limit + 1], limit)


class FakeNotificationRepository:
    def __init__(self, db: FakeDatabase, seen: list[Aggregate]) -> None:
        self._db, self._seen = db, seen

    def add(self, notification: UserNotification, /) -> None:
        self._seen.append(notification)

    async def get(self, notification_id: int, /) -> UserNotification | None:
        stored = self._db.notifications.get(notification_id)
        if stored is None:
            return None
        found = copy.deepcopy(stored)
        self._seen.append(found)
        return found

    async def of_event(self, source_event_id: str, /) -> set[tuple[int, Category]]:
        return {
            (n.recipient_id, n.category)
            for n in self._db.notifications.values()
            if n.source_event_id == source_event_id
        }

    async def newest_first(
        self,
        recipient_id: int,
        unread: bool | None,
        category: Category | None,
        archived: bool,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[UserNotification], str | None]:
        def keep(n: UserNotification) -> bool:
            return (
                n.recipient_id == recipient_id
                and (n.archived_at is not None) == archived
                and (unread is None or (n.read_at is None) == unread)
                and (category is None or n.category == category)
            )

        return _page(self._db.notifications, keep, cursor, limit)

    async def count_unread(self, recipient_id: int, /) -> int:
        return sum(
            1
            for n in self._db.notifications.values()
            if n.recipient_id == recipient_id and n.unread
        )

    async def mark_all_read(self, recipient_id: int, up_to_id: int, at: datetime) -> int:
        # Written at once, as the single UPDATE is (the fake's commit writes aggregates only).
        marked = 0
        for n in self._db.notifications.values():
            if (
                n.recipient_id == recipient_id
                and n.id is not None
                and n.id <= up_to_id
                and n.unread
            ):
                n.read_at = n.updated_at = at
                marked += 1
        return marked

    async def delete_read_before(self, cutoff: datetime, batch: int) -> int:
        ids = [
            key
            for key, n in self._db.notifications.items()
            if n.read_at is not None and n.created_at < cutoff
        ][:batch]
        for key in ids:
            del self._db.notifications[key]
        return len(ids)


class FakeUserRepository:
    def __init__(self, db: FakeDatabase, seen: list[Aggregate]) -> None:
        self._db, self._seen = db, seen

    def add(self, user: User, /) -> None:
        self._seen.append(user)

    async def get(self, user_id: int, /) -> User | None:
        stored = self._db.users.get(user_id)
        if stored is None:
            return None
        found = copy.deepcopy(stored)
        self._seen.append(found)
        return found

    async def admin_ids(self) -> list[int]:
        return sorted(u.user_id for u in self._db.users.values() if u.role is Role.admin)


class FakePreferenceRepository:
    def __init__(self, db: FakeDatabase, seen: list[Aggregate]) -> None:
        self._db, self._seen = db, seen

    def add(self, preference: NotificationPreference, /) -> None:
        self._seen.append(preference)

    async def of_user(self, user_id: int, /) -> list[NotificationPreference]:
        found = [copy.deepcopy(p) for (u, _, _), p in self._db.preferences.items() if u == user_id]
        self._seen.extend(found)
        return found

    async def chosen(
        self, user_ids: Collection[int], category: Category, channel: Channel
    ) -> dict[int, bool]:
        return {
            u: p.enabled
            for (u, cat, ch), p in self._db.preferences.items()
            if u in user_ids and cat is category and ch is channel
        }


class FakeActivityRepository:
    def __init__(self, db: FakeDatabase, seen: list[Aggregate]) -> None:
        self._db, self._seen = db, seen

    async def insert(self, entry: ActivityEntry, /) -> bool:
        if any(e.event_id == entry.event_id for e in self._db.entries.values()):
            return False
        entry.id = self._db.next_id()
        self._seen.append(entry)
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
        def keep(e: ActivityEntry) -> bool:
            return (
                (actor_id is None or e.actor_id == actor_id)
                and (verb is None or e.verb == verb)
                and (object_type is None or e.object_type == object_type)
                and (since is None or e.occurred_at >= since)
                and (before is None or e.occurred_at < before)
            )

        return _page(self._db.entries, keep, cursor, limit)

    async def delete_before(self, cutoff: datetime, batch: int) -> int:
        ids = [k for k, e in self._db.entries.items() if e.occurred_at < cutoff][:batch]
        for key in ids:
            del self._db.entries[key]
        return len(ids)


class FakeUnitOfWork:
    """Satisfies `notifications.unit_of_work.UnitOfWork` with no I/O at all."""

    def __init__(self, database: FakeDatabase) -> None:
        self._db = database
        self._seen: list[Aggregate] = []
        self._events: list[Event] = []
        self.notifications = FakeNotificationRepository(database, self._seen)
        self.users = FakeUserRepository(database, self._seen)
        self.preferences = FakePreferenceRepository(database, self._seen)
        self.activity = FakeActivityRepository(database, self._seen)

    async def __aenter__(self) -> Self:
        self._seen.clear()
        self._events.clear()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._seen.clear()
        self._events.clear()

    def emit(self, event: Event) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        db = self._db
        for aggregate in self._seen:
            if isinstance(aggregate, UserNotification):
                if aggregate.id is None:
                    key = (aggregate.source_event_id, aggregate.recipient_id, aggregate.category)
                    taken = {
                        (n.source_event_id, n.recipient_id, n.category)
                        for n in db.notifications.values()
                    }
                    assert key not in taken, f"unique key violated: {key}"
                    aggregate.id = db.next_id()
                db.notifications[aggregate.id] = copy.deepcopy(aggregate)
            elif isinstance(aggregate, ActivityEntry):
                if aggregate.id is None:
                    aggregate.id = db.next_id()
                db.entries[aggregate.id] = copy.deepcopy(aggregate)
            elif isinstance(aggregate, User):
                db.users[aggregate.user_id] = copy.deepcopy(aggregate)
            elif isinstance(aggregate, NotificationPreference):
                key3 = (aggregate.user_id, aggregate.category, aggregate.channel)
                db.preferences[key3] = copy.deepcopy(aggregate)
            db.outbox.extend(aggregate.collect_events())
        db.outbox.extend(self._events)
        self._events.clear()
        db.commits += 1
