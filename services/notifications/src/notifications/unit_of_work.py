"""The notifications unit of work: its repositories, and one transaction whose commit puts every
event the aggregates recorded (and every `emit`ted one) into the outbox
(`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Event
from database.unit_of_work import SqlUnitOfWork
from notifications.adapters.repositories import (
    ActivityRepository,
    NotificationRepository,
    PreferenceRepository,
    SqlActivityRepository,
    SqlNotificationRepository,
    SqlPreferenceRepository,
    SqlUserRepository,
    UserRepository,
)


class UnitOfWork(Protocol):
    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def preferences(self) -> PreferenceRepository: ...

    @property
    def activity(self) -> ActivityRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def emit(self, event: Event) -> None: ...

    async def commit(self) -> None: ...


class SqlNotificationsUnitOfWork(SqlUnitOfWork):
    notifications: SqlNotificationRepository
    users: SqlUserRepository
    preferences: SqlPreferenceRepository
    activity: SqlActivityRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.notifications = SqlNotificationRepository(session, self.seen)
        self.users = SqlUserRepository(session, self.seen)
        self.preferences = SqlPreferenceRepository(session, self.seen)
        self.activity = SqlActivityRepository(session, self.seen)
