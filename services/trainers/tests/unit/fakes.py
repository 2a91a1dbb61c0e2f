"""In-memory stand-ins for the trainers adapters: a fake database shared by fake units of work,
each of which works on copies and writes back only at commit, as a transaction would; and the
bookings service as the session directory answers it."""

import copy
from collections.abc import Awaitable, Callable, Collection
from datetime import date
from typing import Self, TypeVar

from contracts.bookings import ScheduleDetails
from contracts.envelope import Actor, Event, Role
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import AbsenceStatus
from database.paging import decode_cursor, page_of
from domain import Aggregate
from trainers.adapters.sessions import BOOKINGS_AWAY
from trainers.domain.absence import AbsenceRequest
from trainers.domain.activity_log import ActivityLog
from trainers.domain.time_entry import TimeEntry, already_clocked_in
from trainers.domain.trainer import Trainer

A = TypeVar("A", Trainer, AbsenceRequest, TimeEntry, ActivityLog)


class FakeDatabase:
    def __init__(self) -> None:
        self.trainers: dict[int, Trainer] = {}
        self.absences: dict[int, AbsenceRequest] = {}
        self.time_entries: dict[int, TimeEntry] = {}
        self.activity_logs: dict[int, ActivityLog] = {}
        self.outbox: list[Event] = []
        self.commits = 0
        # How many queries read many sessions' entries at once.
        self.entry_batches = 0
        # Runs as a time entry is inserted, before its session's uniqueness is checked.
        self.before_insert: Callable[[], Awaitable[None]] | None = None
        # Each table counts its own ids, and trainers start far from user ids, so a test
        # catches a trainer id taken for a user id.
        self._last_id: dict[type[Aggregate], int] = {
            Trainer: 100,
            AbsenceRequest: 0,
            TimeEntry: 0,
            ActivityLog: 0,
        }

    def next_id(self, kind: type[Aggregate]) -> int:
        self._last_id[kind] += 1
        return self._last_id[kind]


def _newest_first(
    rows: dict[int, A], keep: Callable[[A], bool], cursor: str | None, limit: int
) -> tuple[list[A], str | None]:
    below = decode_cursor(cursor)
    found = [
        copy.deepcopy(row)
        for row_id, row in sorted(rows.items(), reverse=True)
        if keep(row) and (below is None or row_id < below)
    ]
    return page_of(found[: limit + 1], limit)


class FakeTrainerRepository:
    def __init__(self, database: FakeDatabase, seen: list[Aggregate]) -> None:
        self._database = database
        self._seen = seen

    def add(self, trainer: Trainer, /) -> None:
        self._seen.append(trainer)

    async def get(self, trainer_id: int, /, for_update: bool = False) -> Trainer | None:
        return self._track(self._database.trainers.get(trainer_id))

    async def for_user(self, user_id: int, /) -> Trainer | None:
        found = [t for t in self._database.trainers.values() if t.user_id == user_id]
        return self._track(found[0] if found else None)

    async def newest_first(
        self, cursor: str | None, limit: int
    ) -> tuple[list[Trainer], str | None]:
        return _newest_first(self._database.trainers, lambda _: True, cursor, limit)

    def _track(self, stored: Trainer | None) -> Trainer | None:
        if stored is None:
            return None
        trainer = copy.deepcopy(stored)
        self._seen.append(trainer)
        return trainer


class FakeAbsenceRepository:
    def __init__(self, database: FakeDatabase, seen: list[Aggregate]) -> None:
        self._database = database
        self._seen = seen

    def add(self, absence: AbsenceRequest, /) -> None:
        self._seen.append(absence)

    async def get(self, absence_id: int, /, for_update: bool = False) -> AbsenceRequest | None:
        stored = self._database.absences.get(absence_id)
        if stored is None:
            return None
        absence = copy.deepcopy(stored)
        self._seen.append(absence)
        return absence

    async def newest_first(
        self,
        trainer_id: int | None,
        trainer_user_id: int | None,
        status: AbsenceStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[AbsenceRequest], str | None]:
        def keep(a: AbsenceRequest) -> bool:
            return (
                (trainer_id is None or a.trainer_id == trainer_id)
                and (trainer_user_id is None or a.trainer_user_id == trainer_user_id)
                and (status is None or a.status is status)
            )

        return _newest_first(self._database.absences, keep, cursor, limit)

    async def approved_covering(self, trainer_id: int, day: date, /) -> list[AbsenceRequest]:
        return [
            copy.deepcopy(a)
            for a in self._database.absences.values()
            if a.trainer_id == trainer_id and a.status is AbsenceStatus.approved and a.covers(day)
        ]


class FakeTimeEntryRepository:
    def __init__(self, database: FakeDatabase, seen: list[Aggregate]) -> None:
        self._database = database
        self._seen = seen

    async def insert(self, entry: TimeEntry, /) -> None:
        hook, self._database.before_insert = self._database.before_insert, None
        if hook is not None:
            await hook()
        if any(e.schedule_id == entry.schedule_id for e in self._database.time_entries.values()):
            raise already_clocked_in(entry.schedule_id)  # the unique key, as the database has it
        self._seen.append(entry)

    async def for_session(self, schedule_id: int, /, for_update: bool = False) -> TimeEntry | None:
        found = [e for e in self._database.time_entries.values() if e.schedule_id == schedule_id]
        if not found:
            return None
        entry = copy.deepcopy(found[0])
        self._seen.append(entry)
        return entry

    async def for_sessions(self, schedule_ids: Collection[int], /) -> list[TimeEntry]:
        self._database.entry_batches += 1
        wanted = set(schedule_ids)
        return [
            copy.deepcopy(e)
            for e in self._database.time_entries.values()
            if e.schedule_id in wanted
        ]


class FakeActivityLogRepository:
    def __init__(self, database: FakeDatabase, seen: list[Aggregate]) -> None:
        self._database = database
        self._seen = seen

    def add(self, log: ActivityLog, /) -> None:
        self._seen.append(log)

    async def get(self, log_id: int, /, for_update: bool = False) -> ActivityLog | None:
        stored = self._database.activity_logs.get(log_id)
        if stored is None:
            return None
        log = copy.deepcopy(stored)
        self._seen.append(log)
        return log

    async def newest_first(
        self, schedule_id: int, cursor: str | None, limit: int
    ) -> tuple[list[ActivityLog], str | None]:
        return _newest_first(
            self._database.activity_logs, lambda log: log.schedule_id == schedule_id, cursor, limit
        )


class FakeUnitOfWork:
    """Satisfies `trainers.unit_of_work.UnitOfWork` with no I/O at all."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._seen: list[Aggregate] = []
        self.trainers = FakeTrainerRepository(database, self._seen)
        self.absences = FakeAbsenceRepository(database, self._seen)
        self.time_entries = FakeTimeEntryRepository(database, self._seen)
        self.activity_logs = FakeActivityLogRepository(database, self._seen)

    async def __aenter__(self) -> Self:
        self._seen.clear()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._seen.clear()  # whatever was not committed is forgotten

    async def commit(self) -> None:
        for aggregate in self._seen:
            if isinstance(aggregate, Trainer):
                self._store(self._database.trainers, aggregate)
            elif isinstance(aggregate, TimeEntry):
                self._store(self._database.time_entries, aggregate)
            elif isinstance(aggregate, ActivityLog):
                self._store(self._database.activity_logs, aggregate)
            else:
                assert isinstance(aggregate, AbsenceRequest)
                self._store(self._database.absences, aggregate)
        self._database.commits += 1

    def _store(self, table: dict[int, A], aggregate: A) -> None:
        if aggregate.id is None:
            aggregate.id = self._database.next_id(type(aggregate))
        if isinstance(aggregate, Trainer):
            taken = {t.user_id for t in self._database.trainers.values() if t.id != aggregate.id}
            assert aggregate.user_id not in taken, "trainers.user_id is unique"
        # Events are handed over, never stored with the row.
        self._database.outbox.extend(aggregate.collect_events())
        if aggregate.removed:
            table.pop(aggregate.id, None)
        else:
            table[aggregate.id] = copy.deepcopy(aggregate)


class FakeSessionDirectory:
    """Bookings as trainers asks it: sessions by id, each seen only by its parent, its assigned
    trainer and admins (anyone else: not_found, as bookings answers); `down` is bookings away."""

    def __init__(self) -> None:
        self.sessions: dict[int, ScheduleDetails] = {}
        self.down = False
        self.asked: list[tuple[int, Actor]] = []

    def add(self, session: ScheduleDetails) -> ScheduleDetails:
        self.sessions[session.id] = session
        return session

    def change(self, schedule_id: int, **changes: object) -> None:
        self.sessions[schedule_id] = self.sessions[schedule_id].model_copy(update=changes)

    async def session(self, schedule_id: int, actor: Actor) -> ScheduleDetails:
        self.asked.append((schedule_id, actor))
        if self.down:
            raise ServiceError(ErrorCode.unavailable, BOOKINGS_AWAY)
        found = self.sessions.get(schedule_id)
        if found is None or not _may_see(actor, found):
            raise ServiceError(ErrorCode.not_found, f"session {schedule_id} not found")
        return found


def _may_see(actor: Actor, session: ScheduleDetails) -> bool:
    return (
        actor.role is Role.admin
        or (actor.role is Role.parent and actor.user_id == session.parent_id)
        or (actor.role is Role.trainer and actor.user_id == session.trainer_user_id)
    )
