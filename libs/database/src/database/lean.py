"""Aggregates loaded by id with Core and saved with one UPDATE (or DELETE) of what changed.

The ORM's `session.get` and `flush` of one row were most of a mutation's cost in a service
(`bench/rest_to_frame.py` profiled: building the loader, its cache key and the row processor per
call, then the flush's unit of work; docs/performance.md). For an aggregate mapped onto one
table, with no relationships and no version column, a repository may load it here instead: the
row comes with a prepared statement, the aggregate is built as the ORM builds loaded objects
(no `__init__`), and at commit the unit of work writes the columns whose values differ from the
row as loaded. Anything else keeps the ORM (`lean_table` answers None for it).
"""

import copy
from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, delete, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapper

from domain import Aggregate

A = TypeVar("A", bound=Aggregate)
# Where a unit of work keeps its `LeanRows`: the session's `info`, which every repository sees.
SESSION_KEY = "database.lean_rows"


class LeanTable:
    """What the lean path needs of one mapped table, built once: its key and its statements (a
    statement object memoizes its cache key). The UPDATE sets the columns its parameters name."""

    def __init__(self, table: Table) -> None:
        [self.key] = table.primary_key.columns
        self.table = table
        self.by_id = select(table).where(self.key == bindparam("id"))
        self.update = update(table).where(self.key == bindparam("_lean_id"))
        self.delete = delete(table).where(self.key == bindparam("_lean_id"))


_LEAN_TABLES: dict[type[Aggregate], LeanTable | None] = {}


def lean_table(aggregate: type[Aggregate]) -> LeanTable | None:
    """The table `aggregate` is mapped onto, if it may be loaded and saved lean."""
    if aggregate not in _LEAN_TABLES:
        _LEAN_TABLES[aggregate] = _servable(aggregate)
    return _LEAN_TABLES[aggregate]


def _servable(aggregate: type[Aggregate]) -> LeanTable | None:
    mapper: Mapper[Any] = inspect(aggregate)
    table = mapper.local_table
    if (
        not isinstance(table, Table)
        or mapper.relationships
        or mapper.version_id_col is not None
        or mapper.inherits is not None
        or len(table.primary_key.columns) != 1
        or {a.key for a in mapper.column_attrs} != set(table.columns.keys())
    ):
        return None
    return LeanTable(table)


class LeanRows:
    """One unit of work's lean aggregates, each with its row as loaded."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, Any], tuple[LeanTable, Aggregate, dict[str, Any]]] = {}

    async def get(
        self, connection: AsyncConnection, aggregate: type[A], lean: LeanTable, id: Any
    ) -> A | None:
        known = self._loaded.get((lean.table.name, id))
        if known is not None:  # one object per row in a unit of work, as the ORM's identity map
            found: A = known[1]  # type: ignore[assignment]
            return found
        row = (await connection.execute(lean.by_id, {"id": id})).mappings().first()
        if row is None:
            return None
        built: A = inspect(aggregate).class_manager.new_instance()
        built.__dict__.update(row)
        self._loaded[(lean.table.name, id)] = (lean, built, _snapshot(row))
        return built

    def holds(self, aggregate: Aggregate) -> bool:
        return any(known is aggregate for _, known, _ in self._loaded.values())

    async def save(self, connection: AsyncConnection) -> None:
        """Write every change to a lean aggregate, removals as deletes (in the order loaded)."""
        for lean, aggregate, row in self._loaded.values():
            key = {"_lean_id": row[lean.key.name]}
            if aggregate.removed:
                await connection.execute(lean.delete, key)
                continue
            changed = {
                name: value
                for name, was in row.items()
                if (value := aggregate.__dict__.get(name)) != was
            }
            if changed:
                await connection.execute(lean.update, {**key, **changed})


def _snapshot(row: Mapping[Any, Any]) -> dict[str, Any]:
    # A JSON column's dict or list may be changed in place by the aggregate: compare with a copy.
    return {
        name: copy.deepcopy(value) if isinstance(value, dict | list) else value
        for name, value in row.items()
    }
