"""`INSERT … ON CONFLICT (key) DO NOTHING` on both databases the services run on: a row that is
already there is no row, not an error, in one statement (no read first)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


class InsertNew:
    """The statement for `table` keyed by `key`, built once per dialect; with `returning`, a
    new row answers that column and a row already there answers nothing."""

    def __init__(
        self, table: Table, key: Sequence[str], returning: ColumnElement[Any] | None = None
    ) -> None:
        self._statements: dict[str, Any] = {}
        for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite)):
            statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))
            self._statements[name] = (
                statement if returning is None else statement.returning(returning)
            )

    def on(self, connection: AsyncConnection) -> Any:
        return self._statements[connection.dialect.name]
