"""The bookings unit of work: its repositories, and one transaction whose commit puts every
event the aggregates recorded into the outbox (`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from bookings.adapters.repositories import ChildRepository, SqlChildRepository
from database.unit_of_work import SqlUnitOfWork


class UnitOfWork(Protocol):
    @property
    def children(self) -> ChildRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class SqlBookingsUnitOfWork(SqlUnitOfWork):
    children: SqlChildRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.children = SqlChildRepository(session, self.seen)
