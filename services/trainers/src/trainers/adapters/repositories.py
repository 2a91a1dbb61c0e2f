"""Loading and storing trainers aggregates; the only place its SQL lives."""

from datetime import date
from typing import Any, Protocol

from sqlalchemy import Table, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.trainers import AbsenceStatus
from database.paging import newest_first
from database.unit_of_work import SqlRepository
from trainers.adapters.tables import absence_requests, trainers
from trainers.domain.absence import AbsenceRequest
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
