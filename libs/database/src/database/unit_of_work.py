"""The unit of work of a service with a database: one transaction per `async with`.

Repositories report every aggregate they load or add (`seen`); `commit()` deletes those the
domain marked removed, flushes (so new rows have their ids), stages every event the aggregates
recorded into the outbox, and commits it all in one transaction. A mutation therefore cannot
forget its event, and an event never goes out for a change that rolled back.

An aggregate mapped with a version column (`version_id_col`) that someone else changed since
it was read fails to save: the commit answers that as a conflict naming it.
"""

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Event
from contracts.errors import ErrorCode, ServiceError
from database.outbox import stage
from domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class SqlUnitOfWork:
    session: AsyncSession

    def __init__(self, engine: AsyncEngine, after_commit: Callable[[], None] = lambda: None):
        self._engine = engine
        self._after_commit = after_commit
        self._seen: list[Aggregate] = []
        self._seen_ids: set[int] = set()
        self._events: list[Event] = []

    def open_repositories(self, session: AsyncSession) -> None:
        """Subclasses create their repositories on the new session here."""

    async def __aenter__(self) -> Self:
        self.session = AsyncSession(self._engine, expire_on_commit=False)
        self._seen, self._seen_ids, self._events = [], set(), []
        self.open_repositories(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.session.rollback()  # nothing to undo after a commit
        finally:
            await self.session.close()

    def seen(self, aggregate: Aggregate) -> None:
        # By identity, and in constant time: a bulk change may load thousands of aggregates.
        if id(aggregate) not in self._seen_ids:
            self._seen_ids.add(id(aggregate))
            self._seen.append(aggregate)

    def emit(self, event: Event) -> None:
        """An event that belongs to no one aggregate (a bulk change), outboxed at commit."""
        self._events.append(event)

    async def commit(self) -> None:
        for aggregate in self._seen:
            if aggregate.removed:
                await self.session.delete(aggregate)
        # Named now: once a flush fails, the session's objects cannot be read.
        changing = [_name(aggregate) for aggregate in self._versioned_changes()]
        try:
            await self.session.flush()
            for aggregate in self._seen:
                for event in aggregate.collect_events():
                    stage(self.session, event)
            for event in self._events:
                stage(self.session, event)
            self._events.clear()
            await self.session.commit()
        except StaleDataError as exc:
            what = changing[0] if len(changing) == 1 else "what you changed"
            message = f"{what} was changed by someone else meanwhile; reload and try again"
            raise ServiceError(ErrorCode.conflict, message) from exc
        self._after_commit()

    def _versioned_changes(self) -> list[Aggregate]:
        """The aggregates about to be saved whose rows carry a version."""
        saving = set(map(id, self.session.dirty)) | set(map(id, self.session.deleted))
        return [
            aggregate
            for aggregate in self._seen
            if id(aggregate) in saving and inspect(aggregate).mapper.version_id_col is not None
        ]


def _name(aggregate: Aggregate) -> str:
    """How a message names an aggregate: its class's `noun` (or name), and its id."""
    noun = getattr(type(aggregate), "noun", type(aggregate).__name__.lower())
    return f"{noun} {aggregate.id}"


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
