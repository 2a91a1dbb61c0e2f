"""In-memory stand-ins for the trainers adapters: a fake database shared by fake units of work,
each of which works on copies and writes back only at commit, as a transaction would."""

import copy
from collections.abc import Callable
from datetime import date
from typing import Self, TypeVar

from contracts.envelope import Event
from contracts.trainers import AbsenceStatus
from database.paging import decode_cursor, page_of
from domain import Aggregate
from trainers.domain.absence import AbsenceRequest
from trainers.domain.trainer import Trainer

A = TypeVar("A", Trainer, AbsenceRequest)


class FakeDatabase:
    def __init__(self) -> None:
        self.trainers: dict[int, Trainer] = {}
        self.absences: dict[int, AbsenceRequest] = {}
        self.outbox: list[Event] = []
        self.commits = 0
        # Each table counts its own ids, and trainers start far from user ids, so a test
        # catches a trainer id taken for a user id.
        self._last_id = {Trainer: 100, AbsenceRequest: 0}

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


class FakeUnitOfWork:
    """Satisfies `trainers.unit_of_work.UnitOfWork` with no I/O at all."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._seen: list[Aggregate] = []
        self.trainers = FakeTrainerRepository(database, self._seen)
        self.absences = FakeAbsenceRepository(database, self._seen)

    async def __aenter__(self) -> Self:
        self._seen.clear()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._seen.clear()  # whatever was not committed is forgotten

    async def commit(self) -> None:
        for aggregate in self._seen:
            if isinstance(aggregate, Trainer):
                self._store(self._database.trainers, aggregate)
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
