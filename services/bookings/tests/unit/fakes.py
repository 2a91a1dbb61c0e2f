"""In-memory stand-ins for the bookings adapters: a fake database shared by fake units of work,
each of which works on copies and writes back only at commit, as a transaction would."""

import copy
from typing import Self

from bookings.domain.child import Child
from contracts.envelope import Event
from database.paging import decode_cursor, page_of
from domain import Aggregate


class FakeDatabase:
    def __init__(self) -> None:
        self.children: dict[int, Child] = {}
        self.outbox: list[Event] = []
        self.commits = 0
        self._last_id = 0

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id


class FakeChildRepository:
    def __init__(self, database: FakeDatabase, seen: list[Aggregate]) -> None:
        self._database = database
        self._seen = seen

    def add(self, child: Child, /) -> None:
        self._seen.append(child)

    async def get(self, child_id: int, /) -> Child | None:
        stored = self._database.children.get(child_id)
        if stored is None:
            return None
        child = copy.deepcopy(stored)
        self._seen.append(child)
        return child

    async def newest_first(
        self, parent_id: int | None, cursor: str | None, limit: int
    ) -> tuple[list[Child], str | None]:
        below = decode_cursor(cursor)
        rows = [
            copy.deepcopy(child)
            for child_id, child in sorted(self._database.children.items(), reverse=True)
            if (parent_id is None or child.parent_id == parent_id)
            and (below is None or child_id < below)
        ]
        return page_of(rows[: limit + 1], limit)


class FakeUnitOfWork:
    """Satisfies `bookings.unit_of_work.UnitOfWork` with no I/O at all."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._seen: list[Aggregate] = []
        self.children = FakeChildRepository(database, self._seen)

    async def __aenter__(self) -> Self:
        self._seen.clear()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._seen.clear()  # whatever was not committed is forgotten

    async def commit(self) -> None:
        for aggregate in self._seen:
            assert isinstance(aggregate, Child)
            if aggregate.id is None:
                aggregate.id = self._database.next_id()
            # Events are handed over, never stored with the row.
            self._database.outbox.extend(aggregate.collect_events())
            if aggregate.removed:
                self._database.children.pop(aggregate.id, None)
            else:
                self._database.children[aggregate.id] = copy.deepcopy(aggregate)
        self._database.commits += 1
