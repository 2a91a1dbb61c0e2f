"""Loading and storing sessions, and the per-trainer lock that serialises the transactions
which book a trainer's time; the only place their SQL lives."""

import datetime as dt
from typing import Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bookings.adapters.tables import schedules, trainer_calendars
from bookings.domain.filters import ScheduleFilter
from bookings.domain.schedule import Schedule
from contracts.bookings import ScheduleStatus
from database.paging import newest_first
from database.unit_of_work import SqlRepository


class ScheduleRepository(Protocol):
    def add(self, session: Schedule, /) -> None: ...

    async def get(self, schedule_id: int, /) -> Schedule | None: ...

    async def of_booking(self, booking_id: int, /) -> list[Schedule]: ...

    async def of_trainer_on(self, trainer_id: int, date: dt.date, /) -> list[Schedule]:
        """The trainer's sessions of that day that are not cancelled."""
        ...

    async def scheduled_on(self, date: dt.date, location: str | None, /) -> list[Schedule]: ...

    async def of_day(self, date: dt.date, limit: int, /) -> list[Schedule]:
        """Every session of the day in start-time order."""
        ...

    async def newest_first(
        self, narrowed: ScheduleFilter, cursor: str | None, limit: int
    ) -> tuple[list[Schedule], str | None]:
        """Raises `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...


class CalendarLock(Protocol):
    async def lock(self, trainer_id: int, /) -> None:
        """Hold the trainer's calendar until the transaction ends: call it first."""
        ...


class SqlScheduleRepository(SqlRepository[Schedule]):
    aggregate = Schedule

    async def of_booking(self, booking_id: int, /) -> list[Schedule]:
        return await self._all(select(Schedule).where(schedules.c.booking_id == booking_id))

    async def of_trainer_on(self, trainer_id: int, date: dt.date, /) -> list[Schedule]:
        return await self._all(
            select(Schedule).where(
                schedules.c.trainer_id == trainer_id,
                schedules.c.date == date,
                schedules.c.status != ScheduleStatus.cancelled,
            )
        )

    async def scheduled_on(self, date: dt.date, location: str | None, /) -> list[Schedule]:
        query = select(Schedule).where(
            schedules.c.date == date, schedules.c.status == ScheduleStatus.scheduled
        )
        if location is not None:
            query = query.where(schedules.c.location == location)
        return await self._all(query.order_by(schedules.c.id))

    async def of_day(self, date: dt.date, limit: int, /) -> list[Schedule]:
        query = select(Schedule).where(schedules.c.date == date)
        return await self._all(query.order_by(schedules.c.start_time, schedules.c.id).limit(limit))

    async def newest_first(
        self, narrowed: ScheduleFilter, cursor: str | None, limit: int
    ) -> tuple[list[Schedule], str | None]:
        query = select(Schedule)
        for name in ("parent_id", "trainer_user_id", "booking_id", "child_id", "trainer_id"):
            if (value := getattr(narrowed, name)) is not None:
                query = query.where(schedules.c[name] == value)
        if narrowed.status is not None:
            query = query.where(schedules.c.status == narrowed.status)
        if narrowed.date_from is not None:
            query = query.where(schedules.c.date >= narrowed.date_from)
        if narrowed.date_to is not None:
            query = query.where(schedules.c.date <= narrowed.date_to)
        return await newest_first(self.session, query, schedules.c.id, cursor, limit)

    async def _all(self, query: SelectOfScalar[Schedule]) -> list[Schedule]:
        found = list((await self.session.exec(query)).all())
        for session in found:
            self.track(session)  # its changes and events are saved at commit
        return found


class SqlCalendarLock:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, trainer_id: int, /) -> None:
        # An upsert, not SELECT ... FOR UPDATE: SQLite has no row locks, and its first write
        # takes the database's write lock instead; PostgreSQL holds the row until commit.
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = (
            insert(trainer_calendars)
            .values(trainer_id=trainer_id, version=1)
            .on_conflict_do_update(
                index_elements=[trainer_calendars.c.trainer_id],
                set_={"version": trainer_calendars.c.version + 1},
            )
        )
        await self.session.exec(upsert)
