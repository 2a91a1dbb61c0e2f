"""Loading and storing bookings aggregates; the only place its SQL lives."""

from typing import Protocol

from sqlalchemy import select

from bookings.adapters.tables import children
from bookings.domain.child import Child
from database.paging import newest_first
from database.unit_of_work import SqlRepository


class ChildRepository(Protocol):
    def add(self, child: Child, /) -> None: ...

    async def get(self, child_id: int, /) -> Child | None: ...

    async def newest_first(
        self, parent_id: int | None, cursor: str | None, limit: int
    ) -> tuple[list[Child], str | None]:
        """A page of children (of one parent, or all), newest first, and the next cursor.
        Raises `database.paging.InvalidCursor` for a cursor this service did not hand out."""
        ...


class SqlChildRepository(SqlRepository[Child]):
    aggregate = Child

    async def newest_first(
        self, parent_id: int | None, cursor: str | None, limit: int
    ) -> tuple[list[Child], str | None]:
        query = select(Child)
        if parent_id is not None:
            query = query.where(children.c.parent_id == parent_id)
        return await newest_first(self.session, query, children.c.id, cursor, limit)
