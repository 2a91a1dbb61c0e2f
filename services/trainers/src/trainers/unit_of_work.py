"""The trainers unit of work: its repositories, and one transaction whose commit puts every
event the aggregates recorded into the outbox (`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from database.unit_of_work import SqlUnitOfWork
from trainers.adapters.repositories import (
    AbsenceRepository,
    SqlAbsenceRepository,
    SqlTrainerRepository,
    TrainerRepository,
)


class UnitOfWork(Protocol):
    @property
    def trainers(self) -> TrainerRepository: ...

    @property
    def absences(self) -> AbsenceRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class SqlTrainersUnitOfWork(SqlUnitOfWork):
    trainers: SqlTrainerRepository
    absences: SqlAbsenceRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.trainers = SqlTrainerRepository(session, self.seen)
        self.absences = SqlAbsenceRepository(session, self.seen)
