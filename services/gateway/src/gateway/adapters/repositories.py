"""Loading and storing user accounts and idempotency keys; the only place the gateway's SQL
lives."""

from datetime import datetime
from typing import Protocol

import sqlalchemy
from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from database.paging import newest_first
from database.unit_of_work import SqlRepository
from gateway.models import IDEMPOTENCY_KEYS, USERS, IdempotencyKey, User
from gateway.schemas import UserPublic


class UserRepository(Protocol):
    def add(self, user: User, /) -> None: ...

    async def get(self, user_id: int, /) -> User | None: ...

    async def by_email(self, email: str, /) -> User | None: ...

    async def newest_first(self, cursor: str | None, limit: int) -> tuple[list[User], str | None]:
        """A page of users, newest first, and the next cursor. Raises
        `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...


class SqlUserRepository(SqlRepository[User]):
    aggregate = User

    async def by_email(self, email: str) -> User | None:
        query = select(User).where(col(User.email) == email.lower())
        return self.track((await self.session.exec(query)).first())

    async def newest_first(self, cursor: str | None, limit: int) -> tuple[list[User], str | None]:
        return await newest_first(self.session, select(User), USERS.c.id, cursor, limit)


class UserDirectory(Protocol):
    async def public(self, user_id: int, /) -> UserPublic | None:
        """The account as it is now, or None if there is none."""
        ...


class SqlUserDirectory:
    """The signed-in user of every request, read anew each time (a token outlives a deleted
    account or a changed role): one row by primary key on a pooled connection, without a
    unit of work, since nothing is written."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        columns = [USERS.c[name] for name in UserPublic.model_fields]
        self._query = sqlalchemy.select(*columns).where(USERS.c.id == bindparam("user_id"))

    async def public(self, user_id: int) -> UserPublic | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(self._query, {"user_id": user_id})).first()
        return None if row is None else UserPublic.model_validate(row._mapping)


class IdempotencyKeyRepository(Protocol):
    def add(self, held: IdempotencyKey, /) -> None: ...

    async def find(self, scope: str, key: str, /) -> IdempotencyKey | None: ...

    async def purge_expired(self, now: datetime, /) -> None: ...

    async def drop_stale(
        self, scope: str, key: str, now: datetime, abandoned_before: datetime, /
    ) -> None:
        """Remove this key if it expired, or if its request began before `abandoned_before`."""
        ...

    async def complete(
        self, scope: str, key: str, status_code: int, content_type: str | None, body: bytes, /
    ) -> None: ...

    async def release(self, scope: str, key: str, /) -> None:
        """Remove this key unless its request finished."""
        ...


class SqlIdempotencyKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, held: IdempotencyKey) -> None:
        self.session.add(held)

    async def find(self, scope: str, key: str) -> IdempotencyKey | None:
        query = select(IdempotencyKey).where(
            col(IdempotencyKey.scope) == scope, col(IdempotencyKey.key) == key
        )
        return (await self.session.exec(query)).first()

    async def purge_expired(self, now: datetime) -> None:
        await self.session.exec(delete(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.expires_at < now))

    async def drop_stale(
        self, scope: str, key: str, now: datetime, abandoned_before: datetime
    ) -> None:
        table = IDEMPOTENCY_KEYS.c
        unfinished = table.status_code.is_(None) & (table.created_at < abandoned_before)
        await self.session.exec(
            delete(IDEMPOTENCY_KEYS).where(
                table.scope == scope, table.key == key, or_(table.expires_at < now, unfinished)
            )
        )

    async def complete(
        self, scope: str, key: str, status_code: int, content_type: str | None, body: bytes
    ) -> None:
        table = IDEMPOTENCY_KEYS.c
        await self.session.exec(
            update(IDEMPOTENCY_KEYS)
            .where(table.scope == scope, table.key == key, table.status_code.is_(None))
            .values(status_code=status_code, content_type=content_type, body=body)
        )

    async def release(self, scope: str, key: str) -> None:
        table = IDEMPOTENCY_KEYS.c
        await self.session.exec(
            delete(IDEMPOTENCY_KEYS).where(
                table.scope == scope, table.key == key, table.status_code.is_(None)
            )
        )
