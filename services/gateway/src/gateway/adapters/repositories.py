"""Loading and storing user accounts; the only place the gateway's SQL lives."""

from typing import Protocol

from sqlmodel import col, select

from database.paging import newest_first
from database.unit_of_work import SqlRepository
from gateway.models import USERS, User


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
