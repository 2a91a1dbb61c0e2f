"""The bookings unit of work: its repositories, and one transaction whose commit puts every
event the aggregates recorded, and any it was given (`emit`), into the outbox
(`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from bookings.adapters.repositories import (
    BookingRepository,
    ChildRepository,
    PaymentRepository,
    SqlBookingRepository,
    SqlChildRepository,
    SqlPaymentRepository,
)
from bookings.adapters.schedules import (
    CalendarLock,
    ScheduleRepository,
    SqlCalendarLock,
    SqlScheduleRepository,
)
from contracts.envelope import Event
from database.unit_of_work import SqlUnitOfWork


class UnitOfWork(Protocol):
    @property
    def children(self) -> ChildRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def schedules(self) -> ScheduleRepository: ...

    @property
    def calendars(self) -> CalendarLock: ...

    @property
    def payments(self) -> PaymentRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def emit(self, event: Event) -> None: ...

    async def commit(self) -> None: ...


class SqlBookingsUnitOfWork(SqlUnitOfWork):
    children: SqlChildRepository
    bookings: SqlBookingRepository
    schedules: SqlScheduleRepository
    calendars: SqlCalendarLock
    payments: SqlPaymentRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.children = SqlChildRepository(session, self.seen)
        self.bookings = SqlBookingRepository(session, self.seen)
        self.schedules = SqlScheduleRepository(session, self.seen)
        self.calendars = SqlCalendarLock(session)
        self.payments = SqlPaymentRepository(session, self.seen)
