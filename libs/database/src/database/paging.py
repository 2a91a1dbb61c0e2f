"""Keyset paging for newest-first lists keyed by an increasing integer id, behind an opaque
cursor: every list in every service pages the same way."""

import base64
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class InvalidCursor(ValueError):
    """A cursor this service did not hand out."""


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """The id to continue below, or None for the first page; InvalidCursor for a forged one."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, value = text.split(":", 1)
        if prefix != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("invalid cursor") from exc


def page_of(rows: list[T], limit: int) -> tuple[list[T], str | None]:
    """Cut `limit + 1` rows, newest first, to a page and the cursor of the next (None at the
    end). Rows have an integer `id`."""
    page = rows[:limit]
    last_id: Any = getattr(page[-1], "id", None) if page else None
    return page, encode_cursor(last_id) if len(rows) > limit and last_id is not None else None


async def newest_first(
    session: AsyncSession,
    query: Select[T],
    id_column: ColumnElement[int],
    cursor: str | None,
    limit: int,
) -> tuple[list[T], str | None]:
    """One page of `query`, newest first, and the cursor of the next page."""
    below = decode_cursor(cursor)
    query = query.order_by(id_column.desc()).limit(limit + 1)
    if below is not None:
        query = query.where(id_column < below)
    rows = list((await session.scalars(query)).all())
    return page_of(rows, limit)
