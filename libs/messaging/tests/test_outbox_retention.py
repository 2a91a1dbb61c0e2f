"""Integration: the relay deletes outbox rows published longer ago than the retention, a batch
per transaction, and never an unpublished row, on SQLite and PostgreSQL (issue 11, finding 10:
published outbox rows were kept for good)."""

import asyncio
from datetime import timedelta

import pytest
from nats.js import JetStreamContext
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import utc_now
from database.outbox import OUTBOX_TABLE, OutboxMessage
from database.unit_of_work import SqlUnitOfWork as UnitOfWork
from messaging.outbox_relay import OutboxRelay, OutboxRetention
from messaging.streams import DUPLICATE_WINDOW_SECONDS
from runtime.settings import OutboxRetentionSettings
from testkit.waiting import eventually

from .test_outbox import create_widgets

_DAY = 24 * 3600


async def event_ids(engine: AsyncEngine) -> set[str]:
    async with AsyncSession(engine) as session:
        return set((await session.exec(select(OutboxMessage.event_id))).all())


async def backdate(engine: AsyncEngine, ids: list[str], days: float, published: bool) -> None:
    """As if these rows were staged (and, if `published`, sent) `days` ago."""
    then = utc_now() - timedelta(days=days)
    async with engine.begin() as connection:
        await connection.execute(
            update(OUTBOX_TABLE)
            .where(OUTBOX_TABLE.c.event_id.in_(ids))
            .values(created_at=then, published_at=then if published else None)
        )


async def test_rows_published_before_the_retention_go_in_batches_and_unpublished_ones_stay(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    events = await create_widgets(UnitOfWork(engine), [f"w{i}" for i in range(7)])
    ids = [str(e.event_id) for e in events]
    old_unpublished, old_published, recent_published = ids[:1], ids[1:6], ids[6:]
    await backdate(engine, old_published, days=8, published=True)
    await backdate(engine, recent_published, days=6, published=True)
    # Staged long ago and never sent (NATS away for days): it must stay and still go out.
    await backdate(engine, old_unpublished, days=30, published=False)

    retention = OutboxRetention(keep_published_seconds=7 * _DAY, prune_every_seconds=0.05, batch=2)
    relay = OutboxRelay(engine, js, poll_seconds=0.05, retention=retention)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: holds(engine, set(recent_published + old_unpublished)), timeout=20)
        async with AsyncSession(engine) as session:
            rows = (await session.exec(select(OutboxMessage))).all()
        assert all(row.published_at is not None for row in rows), "the old row went out"
        unsent = select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
        async with AsyncSession(engine) as session:
            assert (await session.exec(unsent)).all() == []
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def holds(engine: AsyncEngine, expected: set[str]) -> bool:
    return await event_ids(engine) == expected


def test_the_retention_is_never_shorter_than_the_duplicate_window() -> None:
    with pytest.raises(ValueError, match="keep_published_seconds"):
        OutboxRetention(keep_published_seconds=DUPLICATE_WINDOW_SECONDS - 1)


def test_the_retention_is_read_from_cams_outbox_keep_published_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMS_OUTBOX_KEEP_PUBLISHED_SECONDS", str(2 * _DAY))
    assert OutboxRetentionSettings().retention().keep_published_seconds == 2 * _DAY
    monkeypatch.setenv("CAMS_OUTBOX_KEEP_PUBLISHED_SECONDS", "3600")
    with pytest.raises(ValidationError, match="CAMS_OUTBOX_KEEP_PUBLISHED_SECONDS"):
        OutboxRetentionSettings()
