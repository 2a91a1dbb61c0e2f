"""SQLite for the async engine without a thread per connection: `sqlite+inline://`.

aiosqlite runs each call (cursor, execute, fetch, close, commit) on a connection's own thread
and hands the result back through the event loop: about a tenth of a millisecond of CPU per
call, a dozen calls per transaction, where SQLite itself needs microseconds for the indexed
statements services run. This dialect runs them on the event loop's thread instead.

A statement that finds the database locked by another connection is not left to SQLite's
busy handler, which would sleep on the loop's thread: the connection has no busy timeout,
and the statement is tried again after an asyncio sleep, for up to `BUSY_TIMEOUT` seconds,
as `PRAGMA busy_timeout` would have waited. Everything else is SQLAlchemy's aiosqlite
dialect: same SQL, same types, same transaction handling (pysqlite's, which begins a
transaction at the first write).
"""

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

BUSY_TIMEOUT = 5.0  # seconds a statement waits for another connection's write lock
_FIRST_WAIT, _LONGEST_WAIT = 0.001, 0.02
_SQLITE_BUSY = 5

T = TypeVar("T")


async def _retrying(call: Callable[[], T]) -> T:
    """`call()`, again after a short asyncio sleep while another connection holds the lock."""
    wait, waited = _FIRST_WAIT, 0.0
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != _SQLITE_BUSY or waited >= BUSY_TIMEOUT:
                raise
        await asyncio.sleep(wait)
        waited += wait
        wait = min(wait * 2, _LONGEST_WAIT)


class Cursor:
    """aiosqlite's cursor interface over a `sqlite3.Cursor`, answered at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> "Cursor":
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> "Cursor":
        await _retrying(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> "Cursor":
        rows = list(parameters)  # a retry must see every row again
        await _retrying(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class Connection:
    """aiosqlite's connection interface over a `sqlite3.Connection`, answered at once."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection

    @property
    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._open.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._open.isolation_level = cast(Any, value)  # pysqlite takes any BEGIN mode, or None

    def cursor(self) -> Cursor:
        return Cursor(self._open.cursor())

    async def commit(self) -> None:
        await _retrying(self._open.commit)

    async def rollback(self) -> None:
        self._open.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open.create_function(*args, **kwargs)


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self) -> None:
        super().__init__(sqlite3, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> _AdaptedConnection:
        kwargs.pop("async_creator_fn", None)
        # No busy handler: it would sleep on the event loop's thread (see `_retrying`).
        kwargs["timeout"] = 0
        # The pool may close a connection from another thread (garbage collection).
        kwargs["check_same_thread"] = False
        connection = await_(_connect(args, kwargs))
        return _AdaptedConnection(self, cast(Any, connection))  # aiosqlite's shape, duck-typed


async def _connect(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Connection:
    return Connection(sqlite3.connect(*args, **kwargs))


class SQLiteDialect_inline(SQLiteDialect_aiosqlite):
    driver = "inline"
    supports_statement_cache = True
    has_terminate = False

    @classmethod
    def import_dbapi(cls) -> _Dbapi:
        return _Dbapi()

    def get_driver_connection(self, connection: Any) -> Any:
        return connection._connection


registry.register("sqlite.inline", __name__, "SQLiteDialect_inline")
