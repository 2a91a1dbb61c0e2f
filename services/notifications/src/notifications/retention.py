"""Retention: read notifications and feed entries older than their age are deleted, a batch
per transaction, so no pass ever holds a long lock."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.envelope import utc_now
from notifications.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ages:
    notifications_days: int = 90
    activity_days: int = 180
    batch: int = 500


async def prune_once(
    new_uow: Callable[[], UnitOfWork], ages: Ages, now: datetime | None = None
) -> tuple[int, int]:
    """One pass: delete what is too old, a batch per transaction; (notifications, entries)."""
    now = now or utc_now()
    read_before = now - timedelta(days=ages.notifications_days)
    entries_before = now - timedelta(days=ages.activity_days)
    notifications = entries = 0
    while True:
        async with new_uow() as uow:
            deleted = await uow.notifications.delete_read_before(read_before, ages.batch)
            await uow.commit()
        notifications += deleted
        if deleted < ages.batch:
            break
    while True:
        async with new_uow() as uow:
            deleted = await uow.activity.delete_before(entries_before, ages.batch)
            await uow.commit()
        entries += deleted
        if deleted < ages.batch:
            break
    return notifications, entries


@dataclass
class RetentionJob:
    """Runs `prune_once` every `interval` seconds until `stop` (which lets a pass finish its
    transaction rather than cutting it)."""

    new_uow: Callable[[], UnitOfWork]
    ages: Ages
    interval: float
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                deleted = await prune_once(self.new_uow, self.ages)
                if any(deleted):
                    log.info("retention deleted %d notifications and %d feed entries", *deleted)
            except Exception:
                log.exception("retention pass failed; trying again next time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)
