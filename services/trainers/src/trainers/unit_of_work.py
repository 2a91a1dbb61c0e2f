"""The trainers unit of work: its repositories, and one transaction whose commit puts every
event the aggregates recorded into the outbox (`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from database.unit_of_work import SqlUnitOfWork
from trainers.adapters.repositories import (
    AbsenceRepository,
    ActivityLogRepository,
    SqlAbsenceRepository,
    SqlActivityLogRepository,
    SqlTimeEntryRepository,
    SqlTrainerRepository,
    TimeEntryRepository,
    TrainerRepository,
)


class UnitOfWork(Protocol):
    @property
    def trainers(self) -> TrainerRepository: ...

    @property
    def absences(self) -> AbsenceRepository: ...

    @property
    def time_entries(self) -> TimeEntryRepository: ...

    @property
    def activity_logs(self) -> ActivityLogRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class SqlTrainersUnitOfWork(SqlUnitOfWork):
    trainers: SqlTrainerRepository
    absences: SqlAbsenceRepository
    time_entries: SqlTimeEntryRepository
    activity_logs: SqlActivityLogRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.trainers = SqlTrainerRepository(session, self.seen)
        self.absences = SqlAbsenceRepository(session, self.seen)
        self.time_entries = SqlTimeEntryRepository(session, self.seen)
        self.activity_logs = SqlActivityLogRepository(session, self.seen)
