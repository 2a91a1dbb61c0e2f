"""The gateway unit of work: its users and idempotency keys, and one transaction whose commit puts
every event the accounts recorded into the outbox (`database.unit_of_work`)."""

from typing import Protocol, Self

from sqlmodel.ext.asyncio.session import AsyncSession

from database.unit_of_work import SqlUnitOfWork
from gateway.adapters.repositories import (
    IdempotencyKeyRepository,
    SqlIdempotencyKeyRepository,
    SqlUserRepository,
    UserRepository,
)


class UnitOfWork(Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def idempotency_keys(self) -> IdempotencyKeyRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class SqlGatewayUnitOfWork(SqlUnitOfWork):
    users: SqlUserRepository
    idempotency_keys: SqlIdempotencyKeyRepository

    def open_repositories(self, session: AsyncSession) -> None:
        self.users = SqlUserRepository(session, self.seen)
        self.idempotency_keys = SqlIdempotencyKeyRepository(session)
