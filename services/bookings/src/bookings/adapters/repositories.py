"""Loading and storing children, bookings and payments; the only place their SQL lives
(sessions: `adapters.schedules`)."""

from typing import Protocol

from sqlalchemy import exists
from sqlmodel import select

from bookings.adapters.tables import bookings, children, payments
from bookings.domain.booking import Booking
from bookings.domain.child import Child
from bookings.domain.payment import Payment
from contracts.bookings import BookingStatus
from database.paging import newest_first
from database.unit_of_work import SqlRepository

# Every `newest_first` answers a page, newest first, and the next cursor, and raises
# `database.paging.InvalidCursor` for a cursor this service did not hand out.


class ChildRepository(Protocol):
    def add(self, child: Child, /) -> None: ...

    async def get(self, child_id: int, /) -> Child | None: ...

    async def newest_first(
        self, parent_id: int | None, cursor: str | None, limit: int
    ) -> tuple[list[Child], str | None]:
        """Of one parent, or all."""
        ...


class BookingRepository(Protocol):
    def add(self, booking: Booking, /) -> None: ...

    async def get(self, booking_id: int, /) -> Booking | None: ...

    async def exist_for_child(self, child_id: int, /) -> bool: ...

    async def newest_first(
        self,
        parent_id: int | None,
        child_id: int | None,
        status: BookingStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Booking], str | None]: ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment, /) -> None: ...

    async def get(self, payment_id: int, /) -> Payment | None: ...

    async def of_booking(self, booking_id: int, /) -> list[Payment]: ...

    async def newest_first(
        self, booking_id: int, cursor: str | None, limit: int
    ) -> tuple[list[Payment], str | None]: ...


class SqlChildRepository(SqlRepository[Child]):
    aggregate = Child
    lean = True  # a parent's PATCH is the live path's hottest mutation (docs/performance.md)

    async def newest_first(
        self, parent_id: int | None, cursor: str | None, limit: int
    ) -> tuple[list[Child], str | None]:
        query = select(Child)
        if parent_id is not None:
            query = query.where(children.c.parent_id == parent_id)
        return await newest_first(self.session, query, children.c.id, cursor, limit)


class SqlBookingRepository(SqlRepository[Booking]):
    aggregate = Booking

    async def exist_for_child(self, child_id: int, /) -> bool:
        query = select(exists().where(bookings.c.child_id == child_id))
        return bool((await self.session.exec(query)).one())

    async def newest_first(
        self,
        parent_id: int | None,
        child_id: int | None,
        status: BookingStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Booking], str | None]:
        query = select(Booking)
        for column, value in (
            (bookings.c.parent_id, parent_id),
            (bookings.c.child_id, child_id),
            (bookings.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        return await newest_first(self.session, query, bookings.c.id, cursor, limit)


class SqlPaymentRepository(SqlRepository[Payment]):
    aggregate = Payment

    async def of_booking(self, booking_id: int, /) -> list[Payment]:
        query = select(Payment).where(payments.c.booking_id == booking_id)
        found = list((await self.session.exec(query)).all())
        for payment in found:
            self.track(payment)  # its removal is saved at commit
        return found

    async def newest_first(
        self, booking_id: int, cursor: str | None, limit: int
    ) -> tuple[list[Payment], str | None]:
        query = select(Payment).where(payments.c.booking_id == booking_id)
        return await newest_first(self.session, query, payments.c.id, cursor, limit)
