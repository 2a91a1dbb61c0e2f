"""The unit of work of a service with a database: one transaction per `async with`.

Repositories report every aggregate they load or add (`seen`); `commit()` deletes those the
domain marked removed, flushes (so new rows have their ids), stages every event the aggregates
recorded into the outbox, and commits it all in one transaction; under a request id, that id
too, and the transaction waits for the request's answer (`database.processed_requests`). A
mutation therefore cannot forget its event, and an event never goes out for a change that
rolled back.

An aggregate mapped with a version column (`version_id_col`) that someone else changed since
it was read fails to save: the commit answers that as a conflict naming it.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar, Generic, Self, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Event
from contracts.errors import ErrorCode, ServiceError
from database.lean import SESSION_KEY, LeanRows, lean_table
from database.outbox import OutboxRow, stage_all
from database.processed_requests import let_go, record_applied, release_held
from domain import Aggregate

A = TypeVar("A", bound=Aggregate)
# Called with the outbox rows of each transaction once it has committed: the relay's `committed`.
AfterCommit = Callable[[Sequence[OutboxRow]], None]


def _nothing_to_hand(rows: Sequence[OutboxRow]) -> None:
    """The `after_commit` of a unit of work without a relay (unit tests, tools)."""


class SqlUnitOfWork:
    session: AsyncSession

    def __init__(self, engine: AsyncEngine, after_commit: AfterCommit = _nothing_to_hand):
        self._engine = engine
        self._after_commit = after_commit
        self._seen: list[Aggregate] = []
        self._seen_ids: set[int] = set()
        self._events: list[Event] = []
        self._lean = LeanRows()

    def open_repositories(self, session: AsyncSession) -> None:
        """Subclasses create their repositories on the new session here."""

    async def __aenter__(self) -> Self:
        await release_held()
        self.session = AsyncSession(self._engine, expire_on_commit=False)
        self._seen, self._seen_ids, self._events = [], set(), []
        self._lean = self.session.info[SESSION_KEY] = LeanRows()
        self.open_repositories(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not let_go(self.session):  # a session held for its request's answer commits later
            await self.session.close()  # rolls back what was not committed

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
            if aggregate.removed and not self._lean.holds(aggregate):
                await self.session.delete(aggregate)
        # Named now: once a flush fails, the session's objects cannot be read.
        changing = [_name(aggregate) for aggregate in self._versioned_changes()]
        try:
            # First, so that a second try of the same request waits here, then fails whole.
            request = await record_applied(self.session)
            await self._lean.save(await self.session.connection())
            await self.session.flush()
            events = [event for aggregate in self._seen for event in aggregate.collect_events()]
            events += self._events
            self._events.clear()
            staged = await stage_all(self.session, events)
            if request is not None:  # committed with the request's answer, once it has one
                request.hold(self.session, partial(self._after_commit, staged))
                return
            await self.session.commit()
        except StaleDataError as exc:
            what = changing[0] if len(changing) == 1 else "what you changed"
            message = f"{what} was changed by someone else meanwhile; reload and try again"
            raise ServiceError(ErrorCode.conflict, message) from exc
        self._after_commit(staged)

    def _versioned_changes(self) -> list[Aggregate]:
        """The aggregates about to be saved whose rows carry a version."""
        versioned = [a for a in self._seen if inspect(a).mapper.version_id_col is not None]
        if not versioned:  # `session.dirty` walks the whole identity map: only when needed
            return []
        saving = set(map(id, self.session.dirty)) | set(map(id, self.session.deleted))
        return [aggregate for aggregate in versioned if id(aggregate) in saving]


def _name(aggregate: Aggregate) -> str:
    """How a message names an aggregate: its class's `noun` (or name), and its id."""
    noun = getattr(type(aggregate), "noun", type(aggregate).__name__.lower())
    return f"{noun} {aggregate.id}"


class SqlRepository(Generic[A]):
    """Loads and stores one kind of aggregate, telling the unit of work about each one."""

    aggregate: type[A]
    # `get` loads with Core and the commit saves with one UPDATE (`database.lean`), where the
    # mapping allows it: for the aggregates on a hot path.
    lean: ClassVar[bool] = False

    def __init__(self, session: AsyncSession, seen: Callable[[Aggregate], None]) -> None:
        self.session = session
        self._seen = seen

    def add(self, aggregate: A) -> None:
        self.session.add(aggregate)
        self._seen(aggregate)

    async def get(self, id: Any) -> A | None:
        lean = lean_table(self.aggregate) if self.lean else None
        rows: LeanRows | None = self.session.info.get(SESSION_KEY)
        if lean is None or rows is None:
            return self.track(await self.session.get(self.aggregate, id))
        connection = await self.session.connection()
        return self.track(await rows.get(connection, self.aggregate, lean, id))

    def track(self, found: A | None) -> A | None:
        """Tell the unit of work about an aggregate a query found (so its events go out)."""
        if found is not None:
            self._seen(found)
        return found
