"""Loading and storing trainers aggregates; the only place its SQL lives."""

from collections.abc import Collection
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.trainers import AbsenceStatus
from database.paging import newest_first
from database.unit_of_work import SqlRepository
from trainers.adapters.tables import absence_requests, activity_logs, time_entries, trainers
from trainers.domain.absence import AbsenceRequest
from trainers.domain.activity_log import ActivityLog
from trainers.domain.time_entry import TimeEntry, already_clocked_in
from trainers.domain.trainer import Trainer


class TrainerRepository(Protocol):
    def add(self, trainer: Trainer, /) -> None: ...

    async def get(self, trainer_id: int, /, for_update: bool = False) -> Trainer | None:
        """`for_update` holds the row's write lock until commit, so that two changes of one
        trainer follow each other rather than both starting from the same state."""
        ...

    async def for_user(self, user_id: int, /) -> Trainer | None: ...

    async def newest_first(
        self, cursor: str | None, limit: int
    ) -> tuple[list[Trainer], str | None]:
        """A page of trainers, newest first, and the next cursor. Raises
        `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...


class AbsenceRepository(Protocol):
    def add(self, absence: AbsenceRequest, /) -> None: ...

    async def get(self, absence_id: int, /, for_update: bool = False) -> AbsenceRequest | None: ...

    async def newest_first(
        self,
        trainer_id: int | None,
        trainer_user_id: int | None,
        status: AbsenceStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[AbsenceRequest], str | None]:
        """A page of absence requests (None filters nothing), newest first, and the next cursor.
        Raises `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...

    async def approved_covering(self, trainer_id: int, day: date, /) -> list[AbsenceRequest]: ...


class TimeEntryRepository(Protocol):
    async def insert(self, entry: TimeEntry, /) -> None:
        """Store a new entry now. Raises the conflict `already_clocked_in` when its session has
        one already: a clock-in racing this one got there first."""
        ...

    async def for_session(self, schedule_id: int, /, for_update: bool = False) -> TimeEntry | None:
        """`for_update` holds the entry's write lock until commit (see `TrainerRepository`)."""
        ...

    async def for_sessions(self, schedule_ids: Collection[int], /) -> list[TimeEntry]:
        """The entries of those sessions that have one, in one query."""
        ...


class ActivityLogRepository(Protocol):
    def add(self, log: ActivityLog, /) -> None: ...

    async def get(self, log_id: int, /, for_update: bool = False) -> ActivityLog | None: ...

    async def newest_first(
        self, schedule_id: int, cursor: str | None, limit: int
    ) -> tuple[list[ActivityLog], str | None]:
        """A page of the session's logs, newest first, and the next cursor. Raises
        `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...


async def lock_row(session: AsyncSession, table: Table, row_id: int) -> None:
    """Hold the write lock on a row until commit, before reading it. SQLite has no SELECT ...
    FOR UPDATE and reads outside its write transaction, so a no-op UPDATE takes the lock: on
    SQLite the database's, on PostgreSQL the row's."""
    await session.exec(update(table).where(table.c.id == row_id).values(id=table.c.id))


class SqlTrainerRepository(SqlRepository[Trainer]):
    aggregate = Trainer

    async def get(self, id: Any, for_update: bool = False) -> Trainer | None:
        if for_update:
            await lock_row(self.session, trainers, id)
        return await super().get(id)

    async def for_user(self, user_id: int, /) -> Trainer | None:
        query = select(Trainer).where(trainers.c.user_id == user_id)
        return self.track((await self.session.exec(query)).first())

    async def newest_first(
        self, cursor: str | None, limit: int
    ) -> tuple[list[Trainer], str | None]:
        return await newest_first(self.session, select(Trainer), trainers.c.id, cursor, limit)


class SqlAbsenceRepository(SqlRepository[AbsenceRequest]):
    aggregate = AbsenceRequest

    async def get(self, id: Any, for_update: bool = False) -> AbsenceRequest | None:
        if for_update:
            await lock_row(self.session, absence_requests, id)
        return await super().get(id)

    async def newest_first(
        self,
        trainer_id: int | None,
        trainer_user_id: int | None,
        status: AbsenceStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[AbsenceRequest], str | None]:
        query = select(AbsenceRequest)
        if trainer_id is not None:
            query = query.where(absence_requests.c.trainer_id == trainer_id)
        if trainer_user_id is not None:
            query = query.where(absence_requests.c.trainer_user_id == trainer_user_id)
        if status is not None:
            query = query.where(absence_requests.c.status == status)
        return await newest_first(self.session, query, absence_requests.c.id, cursor, limit)

    async def approved_covering(self, trainer_id: int, day: date, /) -> list[AbsenceRequest]:
        query = select(AbsenceRequest).where(
            absence_requests.c.trainer_id == trainer_id,
            absence_requests.c.status == AbsenceStatus.approved,
            absence_requests.c.start_date <= day,
            absence_requests.c.end_date >= day,
        )
        return list((await self.session.exec(query)).all())


class SqlTimeEntryRepository(SqlRepository[TimeEntry]):
    aggregate = TimeEntry

    async def insert(self, entry: TimeEntry, /) -> None:
        self.add(entry)
        try:
            # Now rather than at commit, so that only this row's unique key is in question.
            await self.session.flush()
        except IntegrityError as exc:
            raise already_clocked_in(entry.schedule_id) from exc

    async def for_session(self, schedule_id: int, /, for_update: bool = False) -> TimeEntry | None:
        if for_update:
            # As `lock_row`, by the session's unique key.
            column = time_entries.c.schedule_id
            await self.session.exec(
                update(time_entries).where(column == schedule_id).values(schedule_id=column)
            )
        query = select(TimeEntry).where(time_entries.c.schedule_id == schedule_id)
        return self.track((await self.session.exec(query)).first())

    async def for_sessions(self, schedule_ids: Collection[int], /) -> list[TimeEntry]:
        if not schedule_ids:
            return []
        query = select(TimeEntry).where(time_entries.c.schedule_id.in_(schedule_ids))
        # Read only: not tracked, nothing of theirs is committed.
        return list((await self.session.exec(query)).all())


class SqlActivityLogRepository(SqlRepository[ActivityLog]):
    aggregate = ActivityLog

    async def get(self, id: Any, for_update: bool = False) -> ActivityLog | None:
        if for_update:
            await lock_row(self.session, activity_logs, id)
        return await super().get(id)

    async def newest_first(
        self, schedule_id: int, cursor: str | None, limit: int
    ) -> tuple[list[ActivityLog], str | None]:
        query = select(ActivityLog).where(activity_logs.c.schedule_id == schedule_id)
        return await newest_first(self.session, query, activity_logs.c.id, cursor, limit)
