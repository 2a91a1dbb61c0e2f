"""CPU per call of the two database handlers every parent's PATCH runs, without NATS.

    .tools/bin/uv run python bench/handler_cpu.py [--calls 3000] [--rounds 3]

- `update_child`: bookings' handler of `UpdateChild` in its own unit of work on a SQLite file,
  as the service runs it; once with the children's repository as it is (`lean`, Core load and
  one UPDATE: `database.lean`) and once with the ORM's `session.get` and flush, in the same
  run, rounds alternating. The ratio is lean over ORM.
- `feed_event`: notifications' consumer of one `ChildUpdated` (no rule makes a notification of
  it: the feed entry and its `ActivityRecorded` in the outbox), through `exactly_once`, as the
  service runs it. Run it in an older checkout for a before (`--feed-only` there).

Each also as `statements alone`: the SQL its last call ran (captured from the engine), run again
`--calls` times straight through the stdlib `sqlite3` on the same file, fresh ids in every call:
what SQLite itself costs for the same statements, with no SQLAlchemy, unit of work or handler.

CPU is `time.process_time()` over the calls, after a warm-up. Bounded by `--calls`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bookings.adapters.repositories import SqlChildRepository
from bookings.adapters.tables import TABLES as BOOKINGS_TABLES
from bookings.adapters.tables import map_aggregates as map_bookings
from bookings.handlers.children import create_child, update_child
from bookings.unit_of_work import SqlBookingsUnitOfWork
from contracts.bookings import ChildUpdated, CreateChild, UpdateChild
from contracts.envelope import Actor, Role
from database.engine import create_tables, make_engine
from database.inbox import exactly_once

PARENT = Actor(user_id=5, role=Role.parent, name="Pat Parent")
WARMUP = 300


async def _cpu_ms_per_call(calls: int, one: Any) -> float:
    for i in range(WARMUP):
        await one(i)
    started = time.process_time()
    for i in range(calls):
        await one(i)
    return 1000 * (time.process_time() - started) / calls


UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Captured:
    """The statements and parameters `engine` sends to SQLite while a block runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    def _note(self, *args: Any) -> None:
        _conn, _cursor, statement, parameters, _context, _many = args
        self.statements.append((statement, parameters))

    def __enter__(self) -> Captured:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._note)


def _fresh_ids(value: Any, ids: dict[bytes, bytes]) -> Any:
    """`value` with every uuid in it replaced, the same uuid by the same new one."""

    def swap(match: re.Match[bytes]) -> bytes:
        return ids.setdefault(match.group(0), str(uuid.uuid4()).encode())

    if isinstance(value, bytes):
        return UUID.sub(swap, value)
    if isinstance(value, str):
        return UUID.sub(swap, value.encode()).decode()
    if isinstance(value, tuple | list):
        return type(value)(_fresh_ids(v, ids) for v in value)
    if isinstance(value, dict):
        return {k: _fresh_ids(v, ids) for k, v in value.items()}
    return value


def statements_alone_ms(database: Path, statements: list[tuple[str, Any]], calls: int) -> float:
    """CPU per call of running `statements` in one transaction straight through `sqlite3`."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")

    def one() -> None:
        ids: dict[bytes, bytes] = {}
        connection.execute("BEGIN")
        for statement, parameters in statements:
            connection.execute(statement, _fresh_ids(parameters, ids)).fetchall()
        connection.execute("COMMIT")

    for _ in range(WARMUP):
        one()
    started = time.process_time()
    for _ in range(calls):
        one()
    elapsed = time.process_time() - started
    connection.close()
    return 1000 * elapsed / calls


def _work(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The statements of a transaction, without its BEGIN/COMMIT bookkeeping."""
    return [(sql, p) for sql, p in statements if not sql.lstrip().upper().startswith("PRAGMA")]


async def update_child_rounds(folder: Path, calls: int, rounds: int) -> None:
    map_bookings()
    engine = make_engine(f"sqlite:///{folder}/bookings.db")
    await create_tables(engine, BOOKINGS_TABLES)
    command = CreateChild(actor=PARENT, parent_id=5, name="Sam", date_of_birth=date(2020, 1, 1))
    child = await create_child(command, SqlBookingsUnitOfWork(engine))

    async def one(i: int) -> None:
        command = UpdateChild(actor=PARENT, child_id=child.id, name=f"Sam {i}")
        await update_child(command, SqlBookingsUnitOfWork(engine))

    lean = getattr(SqlChildRepository, "lean", False)
    results: dict[str, list[float]] = {"orm": [], "lean": []}
    for _ in range(rounds):
        for mode in ("orm", "lean") if lean else ("orm",):
            SqlChildRepository.lean = mode == "lean"  # type: ignore[misc]
            results[mode].append(await _cpu_ms_per_call(calls, one))
    SqlChildRepository.lean = lean  # type: ignore[misc]
    with Captured(engine) as captured:
        await one(calls + WARMUP)
    await engine.dispose()
    alone = [
        statements_alone_ms(folder / "bookings.db", _work(captured.statements), calls)
        for _ in range(rounds)
    ]
    results["statements alone"] = alone
    for mode, values in results.items():
        if values:
            print(
                f"update_child {mode:5} ms CPU per call: " + ", ".join(f"{v:.3f}" for v in values)
            )
    if results["lean"]:
        pairs = zip(results["lean"], results["orm"], strict=True)
        ratios = [lean_ms / orm_ms for lean_ms, orm_ms in pairs]
        print("update_child lean / orm: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"update_child statements: {len(_work(captured.statements))}")


async def feed_rounds(folder: Path, calls: int, rounds: int) -> None:
    from notifications.adapters.tables import TABLES as NOTIFICATIONS_TABLES
    from notifications.adapters.tables import map_aggregates as map_notifications
    from notifications.unit_of_work import SqlNotificationsUnitOfWork

    map_notifications()
    engine = make_engine(f"sqlite:///{folder}/notifications.db")
    await create_tables(engine, NOTIFICATIONS_TABLES)
    try:  # the one consumer of domain events, or (older checkouts) the feed's own
        from notifications.consumers import events

        durable, handler = events.DURABLE, events.handle
    except ImportError:
        from notifications.consumers import feed

        durable, handler = feed.DURABLE, feed.record  # type: ignore[attr-defined]
    handle = exactly_once(durable, lambda: SqlNotificationsUnitOfWork(engine), handler)

    async def one(i: int) -> None:
        await handle(ChildUpdated(child_id=1, parent_id=5, actor=PARENT))

    values = [await _cpu_ms_per_call(calls, one) for _ in range(rounds)]
    with Captured(engine) as captured:
        await one(calls + WARMUP)
    await engine.dispose()
    statements = _work(captured.statements)
    alone = [
        statements_alone_ms(folder / "notifications.db", statements, calls) for _ in range(rounds)
    ]
    print("feed_event ms CPU per event: " + ", ".join(f"{v:.3f}" for v in values))
    print(
        f"feed_event statements alone ({len(statements)}) ms CPU per event: "
        + ", ".join(f"{v:.3f}" for v in alone)
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--feed-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not args.feed_only:
            await update_child_rounds(Path(folder), args.calls, args.rounds)
        await feed_rounds(Path(folder), args.calls, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
