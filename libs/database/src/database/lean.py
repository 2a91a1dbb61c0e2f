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

from sqlalchemy import Column, Table, bindparam, delete, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapper

from domain import Aggregate

A = TypeVar("A", bound=Aggregate)
# Where a unit of work keeps its `LeanRows`: the session's `info`, which every repository sees.
SESSION_KEY = "database.lean_rows"


def lean_table(aggregate: type[Aggregate]) -> Table | None:
    """The table `aggregate` is mapped onto, if it may be loaded and saved lean."""
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
    return table


class LeanRows:
    """One unit of work's lean aggregates, each with its row as loaded."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, Any], tuple[Table, Aggregate, dict[str, Any]]] = {}

    async def get(
        self, connection: AsyncConnection, aggregate: type[A], table: Table, id: Any
    ) -> A | None:
        known = self._loaded.get((table.name, id))
        if known is not None:  # one object per row in a unit of work, as the ORM's identity map
            found: A = known[1]  # type: ignore[assignment]
            return found
        result = await connection.execute(_by_id(table), {"id": id})
        row = result.mappings().first()
        if row is None:
            return None
        built: A = inspect(aggregate).class_manager.new_instance()
        built.__dict__.update(row)
        self._loaded[(table.name, id)] = (table, built, _snapshot(row))
        return built

    def holds(self, aggregate: Aggregate) -> bool:
        return any(known is aggregate for _, known, _ in self._loaded.values())

    async def save(self, connection: AsyncConnection) -> None:
        """Write every change to a lean aggregate, removals as deletes (in the order loaded)."""
        for table, aggregate, row in self._loaded.values():
            key = _key(table)
            if aggregate.removed:
                await connection.execute(delete(table).where(key == row[key.name]))
                continue
            changed = {
                name: value
                for name, was in row.items()
                if (value := aggregate.__dict__.get(name)) != was
            }
            if changed:
                await connection.execute(_update(table), {"_lean_id": row[key.name], **changed})


# Built once per table: a statement object memoizes its cache key. The UPDATE sets the columns
# its parameters name.
_SELECTS: dict[str, Any] = {}
_UPDATES: dict[str, Any] = {}


def _by_id(table: Table) -> Any:
    statement = _SELECTS.get(table.name)
    if statement is None:
        statement = _SELECTS[table.name] = select(table).where(_key(table) == bindparam("id"))
    return statement


def _update(table: Table) -> Any:
    statement = _UPDATES.get(table.name)
    if statement is None:
        statement = _UPDATES[table.name] = update(table).where(_key(table) == bindparam("_lean_id"))
    return statement


def _key(table: Table) -> Column[Any]:
    [column] = table.primary_key.columns
    return column


def _snapshot(row: Mapping[Any, Any]) -> dict[str, Any]:
    # A JSON column's dict or list may be changed in place by the aggregate: compare with a copy.
    return {
        name: copy.deepcopy(value) if isinstance(value, dict | list) else value
        for name, value in row.items()
    }
