"""The outbox relay: publishes the rows `database.outbox.stage` committed, oldest first.

The relay publishes with `Nats-Msg-Id` = event id, so JetStream drops a repeat, and waits
(with backoff) while NATS is away; nothing is lost and nothing reaches a stream twice.
"""

import asyncio
import contextlib
import logging

import orjson
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import utc_now
from database.outbox import OutboxMessage
from messaging import tracing

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes unpublished outbox rows in order; `wake()` after a commit skips the poll wait."""

    def __init__(
        self, engine: AsyncEngine, js: JetStreamContext, poll_seconds: float = 1.0, batch: int = 100
    ) -> None:
        self._engine = engine
        self._js = js
        self._poll_seconds = poll_seconds
        self._batch = batch
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the row in hand, then return from `run` (never cut a transaction)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        while not self._stopping:
            try:
                sent = await self.publish_pending()
                backoff = 0.1
            except Exception as exc:
                log.warning("outbox relay waiting for NATS: %s", exc)
                if not self._stopping:
                    self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self._batch and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def publish_pending(self) -> int:
        """Publish up to one batch; return how many went out."""
        async with AsyncSession(self._engine, expire_on_commit=False) as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.published_at).is_(None))
                    .order_by(col(OutboxMessage.id))
                    .limit(self._batch)
                )
            ).all()
            for row in rows:
                if self._stopping:
                    break
                await self._publish(row)
                row.published_at = utc_now()
                session.add(row)
                await session.commit()
            return len(rows)

    async def _publish(self, row: OutboxMessage) -> None:
        stored = orjson.loads(row.headers)
        with tracing.tracer.start_as_current_span(
            f"{row.subject} publish",
            context=tracing.extract(stored),
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": row.subject,
                "messaging.message.id": row.event_id,
            },
        ):
            headers = tracing.inject({"Nats-Msg-Id": row.event_id})
            await self._js.publish(row.subject, row.payload, headers=headers, timeout=2.0)
