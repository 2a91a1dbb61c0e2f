"""The gateway unit of work: its users repository, and one transaction whose commit puts every
event the accounts recorded into the outbox (`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from database.unit_of_work import SqlUnitOfWork
from gateway.adapters.repositories import SqlUserRepository, UserRepository


class UnitOfWork(Protocol):
    @property
    def users(self) -> UserRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class SqlGatewayUnitOfWork(SqlUnitOfWork):
    users: SqlUserRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.users = SqlUserRepository(session, self.seen)
