"""In-memory stand-ins for the bookings adapters: a fake database shared by fake units of work,
each of which works on copies and writes back only at commit, as a transaction would."""

import copy
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Generic, Self, TypeVar

from bookings.domain.booking import Booking
from bookings.domain.child import Child
from bookings.domain.filters import ScheduleFilter
from bookings.domain.payment import Payment
from bookings.domain.schedule import Schedule
from contracts.bookings import BookingStatus, ScheduleStatus
from contracts.envelope import Actor, Event
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import Assignability, AssignabilityProblem
from database.paging import decode_cursor, page_of
from domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class FakeDatabase:
    def __init__(self) -> None:
        self.children: dict[int, Child] = {}
        self.bookings: dict[int, Booking] = {}
        self.schedules: dict[int, Schedule] = {}
        self.payments: dict[int, Payment] = {}
        self.outbox: list[Event] = []
        self.commits = 0
        self.locked: list[int] = []  # trainer calendars locked, in order
        self._last_id = 0

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def table(self, aggregate: Aggregate) -> dict[int, Aggregate]:
        tables: dict[type, dict[int, Aggregate]] = {
            Child: self.children,  # type: ignore[dict-item]
            Booking: self.bookings,  # type: ignore[dict-item]
            Schedule: self.schedules,  # type: ignore[dict-item]
            Payment: self.payments,  # type: ignore[dict-item]
        }
        return tables[type(aggregate)]


class FakeRepository(Generic[A]):
    def __init__(self, uow: "FakeUnitOfWork", rows: dict[int, A]) -> None:
        self._uow = uow
        self._rows = rows

    def add(self, aggregate: A, /) -> None:
        self._uow.seen.append(aggregate)

    async def get(self, id: int, /) -> A | None:
        return self._load(self._rows[id]) if id in self._rows else None

    def _load(self, stored: A) -> A:
        """One copy per unit of work, as a session's identity map gives."""
        assert stored.id is not None
        key = (type(stored), stored.id)
        if key not in self._uow.loaded:
            loaded = copy.deepcopy(stored)
            self._uow.loaded[key] = loaded
            self._uow.seen.append(loaded)
        found: A = self._uow.loaded[key]  # type: ignore[assignment]
        return found

    def _where(self, keep: Callable[[A], bool]) -> list[A]:
        return [self._load(row) for _, row in sorted(self._rows.items()) if keep(row)]

    def _newest_first(
        self, keep: Callable[[A], bool], cursor: str | None, limit: int
    ) -> tuple[list[A], str | None]:
        below = decode_cursor(cursor)
        rows = [
            copy.deepcopy(row)
            for id, row in sorted(self._rows.items(), reverse=True)
            if keep(row) and (below is None or id < below)
        ]
        return page_of(rows[: limit + 1], limit)


class FakeChildRepository(FakeRepository[Child]):
    async def newest_first(
        self, parent_id: int | None, cursor: str | None, limit: int
    ) -> tuple[list[Child], str | None]:
        return self._newest_first(
            lambda c: parent_id is None or c.parent_id == parent_id, cursor, limit
        )


class FakeBookingRepository(FakeRepository[Booking]):
    async def exist_for_child(self, child_id: int, /) -> bool:
        return any(b.child_id == child_id for b in self._rows.values())

    async def newest_first(
        self,
        parent_id: int | None,
        child_id: int | None,
        status: BookingStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Booking], str | None]:
        def keep(b: Booking) -> bool:
            return all(
                wanted is None or value == wanted
                for value, wanted in ((b.parent_id, parent_id), (b.child_id, child_id))
            ) and (status is None or b.status == status)

        return self._newest_first(keep, cursor, limit)


class FakeScheduleRepository(FakeRepository[Schedule]):
    def _load(self, stored: Schedule) -> Schedule:
        session = super()._load(stored)
        session.child_name = self._uow.database.children[session.child_id].name  # as the join
        return session

    async def of_booking(self, booking_id: int, /) -> list[Schedule]:
        return self._where(lambda s: s.booking_id == booking_id)

    async def of_trainer_on(self, trainer_id: int, date: dt.date, /) -> list[Schedule]:
        return self._where(
            lambda s: (
                s.trainer_id == trainer_id
                and s.date == date
                and s.status != ScheduleStatus.cancelled
            )
        )

    async def scheduled_on(self, date: dt.date, location: str | None, /) -> list[Schedule]:
        return self._where(
            lambda s: (
                s.date == date
                and s.status == ScheduleStatus.scheduled
                and location in (None, s.location)
            )
        )

    async def of_day(self, date: dt.date, limit: int, /) -> list[Schedule]:
        found = self._where(lambda s: s.date == date)
        return sorted(found, key=lambda s: (s.start_time, s.id or 0))[:limit]

    async def newest_first(
        self, narrowed: ScheduleFilter, cursor: str | None, limit: int
    ) -> tuple[list[Schedule], str | None]:
        rows, next_cursor = self._newest_first(narrowed.matches, cursor, limit)
        for session in rows:
            session.child_name = self._uow.database.children[session.child_id].name
        return rows, next_cursor


class FakePaymentRepository(FakeRepository[Payment]):
    async def of_booking(self, booking_id: int, /) -> list[Payment]:
        return self._where(lambda p: p.booking_id == booking_id)

    async def newest_first(
        self, booking_id: int, cursor: str | None, limit: int
    ) -> tuple[list[Payment], str | None]:
        return self._newest_first(lambda p: p.booking_id == booking_id, cursor, limit)


class FakeCalendarLock:
    def __init__(self, uow: "FakeUnitOfWork") -> None:
        self._uow = uow

    async def lock(self, trainer_id: int, /) -> None:
        self._uow.database.locked.append(trainer_id)


class FakeUnitOfWork:
    """Satisfies `bookings.unit_of_work.UnitOfWork` with no I/O at all."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.seen: list[Aggregate] = []
        self.loaded: dict[tuple[type, int], Aggregate] = {}
        self.emitted: list[Event] = []
        self.children = FakeChildRepository(self, database.children)
        self.bookings = FakeBookingRepository(self, database.bookings)
        self.schedules = FakeScheduleRepository(self, database.schedules)
        self.calendars = FakeCalendarLock(self)
        self.payments = FakePaymentRepository(self, database.payments)

    async def __aenter__(self) -> Self:
        self._forget()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._forget()  # whatever was not committed is forgotten

    def _forget(self) -> None:
        self.seen, self.loaded, self.emitted = [], {}, []

    def emit(self, event: Event) -> None:
        self.emitted.append(event)

    async def commit(self) -> None:
        for aggregate in self.seen:
            if aggregate.id is None:
                aggregate.id = self.database.next_id()
        for aggregate in self.seen:
            # Events are handed over, never stored with the row.
            self.database.outbox.extend(aggregate.collect_events())
            table = self.database.table(aggregate)
            if aggregate.removed:
                table.pop(aggregate.id or 0, None)
            else:
                table[aggregate.id or 0] = copy.deepcopy(aggregate)
        self.database.outbox.extend(self.emitted)
        self.emitted = []
        self.database.commits += 1


Ask = Callable[[int, dt.date, dt.time, dt.time], Awaitable[None]]


class FakeTrainerDirectory:
    """The trainers service as bookings sees it: trainers by profile id, each assignable unless
    told otherwise; `down` answers unavailable; `meanwhile` runs while a question is open."""

    def __init__(self) -> None:
        self.trainers: dict[int, tuple[int, str]] = {}  # id: (user id, name)
        self.refusals: dict[int, AssignabilityProblem] = {}
        self.down = False
        self.meanwhile: Ask | None = None
        self.asked: list[tuple[int, dt.date, dt.time, dt.time]] = []

    def add(self, trainer_id: int, user_id: int, name: str) -> None:
        self.trainers[trainer_id] = (user_id, name)

    async def assignable(
        self, trainer_id: int, date: dt.date, start: dt.time, end: dt.time, actor: Actor
    ) -> Assignability:
        self.asked.append((trainer_id, date, start, end))
        if self.down:
            raise ServiceError(ErrorCode.unavailable, "the trainers service is unavailable")
        if self.meanwhile is not None:
            await self.meanwhile(trainer_id, date, start, end)
        if trainer_id not in self.trainers:
            problem = AssignabilityProblem.no_such_trainer
            return Assignability(
                trainer_id=trainer_id, assignable=False, problem=problem, reason="no such trainer"
            )
        user_id, name = self.trainers[trainer_id]
        problem_or_none = self.refusals.get(trainer_id)
        return Assignability(
            trainer_id=trainer_id,
            assignable=problem_or_none is None,
            problem=problem_or_none,
            reason=None if problem_or_none is None else f"{name} is {problem_or_none.value}",
            trainer_user_id=user_id,
            trainer_name=name,
        )
