"""The unit of work of a service with a database: one transaction per `async with`.

Repositories report every aggregate they load or add (`seen`); `commit()` deletes those the
domain marked removed, flushes (so new rows have their ids), stages every event the aggregates
recorded into the outbox, and commits it all in one transaction. A mutation therefore cannot
forget its event, and an event never goes out for a change that rolled back.
"""

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Event
from database.outbox import stage
from domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class SqlUnitOfWork:
    session: AsyncSession

    def __init__(self, engine: AsyncEngine, after_commit: Callable[[], None] = lambda: None):
        self._engine = engine
        self._after_commit = after_commit
        self._seen: list[Aggregate] = []
        self._events: list[Event] = []

    def open_repositories(self, session: AsyncSession) -> None:
        """Subclasses create their repositories on the new session here."""

    async def __aenter__(self) -> Self:
        self.session = AsyncSession(self._engine, expire_on_commit=False)
        self._seen, self._events = [], []
        self.open_repositories(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.session.rollback()  # nothing to undo after a commit
        finally:
            await self.session.close()

    def seen(self, aggregate: Aggregate) -> None:
        if not any(aggregate is known for known in self._seen):
            self._seen.append(aggregate)

    def emit(self, event: Event) -> None:
        """An event that belongs to no one aggregate (a bulk change), outboxed at commit."""
        self._events.append(event)

    async def commit(self) -> None:
        for aggregate in self._seen:
            if aggregate.removed:
                await self.session.delete(aggregate)
        await self.session.flush()
        for aggregate in self._seen:
            for event in aggregate.collect_events():
                stage(self.session, event)
        for event in self._events:
            stage(self.session, event)
        self._events.clear()
        await self.session.commit()
        self._after_commit()


class SqlRepository(Generic[A]):
    """Loads and stores one kind of aggregate, telling the unit of work about each one."""

    aggregate: type[A]

    def __init__(self, session: AsyncSession, seen: Callable[[Aggregate], None]) -> None:
        self.session = session
        self._seen = seen

    def add(self, aggregate: A) -> None:
        self.session.add(aggregate)
        self._seen(aggregate)

    async def get(self, id: Any) -> A | None:
        return self.track(await self.session.get(self.aggregate, id))

    def track(self, found: A | None) -> A | None:
        """Tell the unit of work about an aggregate a query found (so its events go out)."""
        if found is not None:
            self._seen(found)
        return found
