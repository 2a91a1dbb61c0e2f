"""The outbox relay: publishes the rows `database.outbox.stage` committed, oldest first.

The relay publishes with `Nats-Msg-Id` = event id, so JetStream drops a repeat, and waits
(with backoff) while NATS is away; nothing is lost and nothing reaches a stream twice.

Two ways a row reaches it:

- **handed**: a unit of work hands the rows of each commit to `committed`, and while the relay
  is caught up it publishes them at once, without reading them back from the table, once it
  knows that no other writer's row is waiting (another instance on the same database, or a
  crashed process): such a row committed first, so it must go out first, and the relay reads the
  table in order instead. On SQLite a row's id is taken under the database's one write lock, so
  ids follow commit order: handed rows whose ids follow, without a gap, the last row the relay
  has accounted for leave no room for another writer's row, and go out with no query. Anywhere
  else (PostgreSQL's sequence hands out ids before commit), or after a gap, one small query
  looks for unpublished rows the relay does not know;
- **read**: at start, after any failure, when a read found a full batch, when a commit arrived
  while it was not caught up, and every `poll_seconds` regardless (the rows another instance or
  a crashed process left), it reads the unpublished rows in id order and publishes those.

A failed publish drops every handed row it holds (they are still unpublished in the table) and
falls back to reading, so the rows go out in order once NATS is back. Published rows are marked
in one UPDATE per `mark_seconds` (or per full batch), not per commit: a stop marks what went
out, and a crash in between sends those rows again, which JetStream drops as repeats
(`mark_seconds` is far inside its duplicate window). A stream that is full refuses the publish
(`messaging.streams`): the row stays unpublished and is retried with the same backoff.

Published rows are kept `OutboxRetention.keep_published_seconds` (for looking into what went
out), then deleted a batch per transaction between publishing rounds; unpublished rows never.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import orjson
from nats.js import JetStreamContext
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import utc_now
from database.outbox import OUTBOX_TABLE, OutboxRow, delete_published_before
from messaging import tracing
from messaging.streams import DUPLICATE_WINDOW_SECONDS

log = logging.getLogger(__name__)

_OUTBOX = OUTBOX_TABLE.c


@dataclass(frozen=True)
class OutboxRetention:
    """How long published rows stay, and how often and how many at a time they are deleted;
    `runtime.settings.OutboxRetentionSettings` reads them from the environment."""

    keep_published_seconds: float = 7 * 24 * 3600
    prune_every_seconds: float = 3600
    batch: int = 1000

    def __post_init__(self) -> None:
        # Never shorter than the streams remember a Nats-Msg-Id (the window a repeat is caught).
        if self.keep_published_seconds < DUPLICATE_WINDOW_SECONDS:
            raise ValueError(f"keep_published_seconds must be >= {DUPLICATE_WINDOW_SECONDS}")
        if self.prune_every_seconds <= 0 or self.batch <= 0:
            raise ValueError("prune_every_seconds and batch must be positive")


class OutboxRelay:
    """Publishes unpublished outbox rows in order: those `committed` hands it at once, the rest
    found by reading the table."""

    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        poll_seconds: float = 1.0,
        batch: int = 100,
        retention: OutboxRetention | None = None,
        mark_seconds: float = 0.1,
    ) -> None:
        if mark_seconds * 10 > DUPLICATE_WINDOW_SECONDS:
            raise ValueError("mark_seconds must be far inside the streams' duplicate window")
        self._engine = engine
        self._retention = retention or OutboxRetention()
        self._next_prune = 0.0  # a first pass at start
        self._js = js
        self._poll_seconds = poll_seconds
        self._mark_seconds = mark_seconds
        self._batch = batch
        self._wake = asyncio.Event()
        self._stopping = False
        # Reading is needed until a read finds less than a batch with nothing failing.
        self._caught_up = False
        self._missed = False  # a commit came while not caught up: read again
        self._next_read = 0.0
        self._handed: deque[OutboxRow] = deque()
        # Every row with an id up to this one is published or in hand (None: not known). Only
        # kept where ids follow commit order.
        self._ids_follow_commits = engine.dialect.name == "sqlite"
        self._accounted_through: int | None = None
        self._sent: list[str] = []  # event ids published and not yet marked
        self._first_sent_at = 0.0
        self._pending = (
            select(_OUTBOX.id, _OUTBOX.event_id, _OUTBOX.subject, _OUTBOX.payload, _OUTBOX.headers)
            .where(_OUTBOX.published_at.is_(None))
            .order_by(_OUTBOX.id)
            .limit(batch)
        )
        # Unpublished event ids, as many as this relay knows of plus one: one it does not know is
        # another writer's.
        self._unpublished_ids = (
            select(_OUTBOX.event_id)
            .where(_OUTBOX.published_at.is_(None))
            .limit(bindparam("known_plus_one"))
        )
        self._mark = (
            update(OUTBOX_TABLE)
            .where(_OUTBOX.event_id.in_(bindparam("event_ids", expanding=True)))
            .values(published_at=bindparam("now"))
        )

    def wake(self) -> None:
        self._wake.set()

    def committed(self, rows: Sequence[OutboxRow]) -> None:
        """The rows of a transaction that has just committed (a unit of work's `after_commit`)."""
        if rows:
            if self._caught_up and len(self._handed) < self._batch * 10:
                self._handed.extend(rows)
            else:  # they wait in the table, and the next round reads them in order
                self._missed = True
        self._wake.set()

    def stop(self) -> None:
        """Finish the row in hand, mark what went out, then return from `run` (never cut a
        transaction)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        try:
            while not self._stopping:
                # Cleared before the rows are read: a commit that wakes the relay while a batch
                # goes out is then looked for at once, not at the next poll.
                self._wake.clear()
                more_to_prune = await self._prune_due()
                try:
                    await self._round()
                    backoff = 0.1
                except Exception as exc:
                    log.warning("outbox relay retrying (NATS away or stream full): %s", exc)
                    self._caught_up = False
                    self._handed.clear()  # still unpublished in the table: read in order later
                    await self._wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if self._handed or not self._caught_up or self._missed or more_to_prune:
                    continue
                await self._wait(self._until_due())
        finally:
            if self._sent:
                with contextlib.suppress(Exception):  # unmarked rows are sent again: repeats
                    await self._mark_sent()

    async def _round(self) -> None:
        """Publish what was handed; mark what is due; read the table when it must be read."""
        # Only the rows in hand now are checked; a commit handed while they go out waits for
        # the next round's check.
        checked = len(self._handed)
        if (
            checked
            and not self._handed_follow_what_is_accounted_for()
            and await self._another_writers_row_waits()
        ):
            self._handed.clear()  # still unpublished in the table: read in order below
            self._missed = True
            checked = 0
        for _ in range(checked):
            if self._stopping:
                break
            row = self._handed[0]
            await self._publish(row["subject"], row["payload"], row["event_id"], row["headers"])
            self._handed.popleft()
            self._note_sent([row["event_id"]])
            self._account_for(row.get("id"))
        now = time.monotonic()
        if self._sent and (len(self._sent) >= self._batch or now >= self._mark_due()):
            await self._mark_sent()
        if self._stopping or (self._caught_up and not self._missed and now < self._next_read):
            return
        self._missed = False
        await self._mark_sent()  # before reading, or the read finds them again
        self._next_read = time.monotonic() + self._poll_seconds
        self._caught_up = await self.publish_pending() < self._batch

    def _handed_follow_what_is_accounted_for(self) -> bool:
        """Whether the handed rows' ids run on, without a gap, from the last row accounted for
        (only where ids follow commit order): then no other writer's row can be waiting."""
        expected = self._accounted_through
        if not self._ids_follow_commits or expected is None:
            return False
        for row in self._handed:
            expected += 1
            if row.get("id") != expected:
                return False
        return True

    def _account_for(self, row_id: int | None) -> None:
        """Note that every row up to `row_id` is published or in hand: `row_id` was published
        after no unknown row was found before it (by the query, by the ids, or by a read)."""
        if self._ids_follow_commits and row_id is not None:
            self._accounted_through = max(row_id, self._accounted_through or 0)

    async def _another_writers_row_waits(self) -> bool:
        """Whether an unpublished row exists that this relay was neither handed nor has sent. It
        committed before the handed rows were looked at here (or it would not be seen), so
        publishing the handed rows first would put the stream out of commit order."""
        known = {row["event_id"] for row in self._handed}
        known.update(self._sent)
        async with self._engine.connect() as connection:
            result = await connection.execute(
                self._unpublished_ids, {"known_plus_one": len(known) + 1}
            )
            return any(event_id not in known for event_id in result.scalars())

    def _mark_due(self) -> float:
        return self._first_sent_at + self._mark_seconds

    def _until_due(self) -> float:
        """Seconds until the next mark or read is due."""
        due = min(self._next_read, self._mark_due()) if self._sent else self._next_read
        return max(due - time.monotonic(), 0.0)

    def _note_sent(self, event_ids: Sequence[str]) -> None:
        if not self._sent:
            self._first_sent_at = time.monotonic()
        self._sent.extend(event_ids)

    async def _mark_sent(self) -> None:
        if self._sent:
            await self._published(self._sent)
            self._sent = []

    async def _prune_due(self) -> bool:
        """Delete one batch of rows published long ago, when a pass is due; whether a full
        batch went (then the next round deletes more, between publishing rounds)."""
        if time.monotonic() < self._next_prune:
            return False
        keep = self._retention
        cutoff = utc_now() - timedelta(seconds=keep.keep_published_seconds)
        try:
            deleted = await delete_published_before(self._engine, cutoff, keep.batch)
        except Exception as exc:
            log.warning("outbox prune failed, trying again next pass: %s", exc)
            deleted = 0
        if deleted:
            # SQLite may hand the ids of deleted rows out again once the newest row is gone.
            self._accounted_through = None
        if deleted < keep.batch:
            self._next_prune = time.monotonic() + keep.prune_every_seconds
        return deleted == keep.batch

    async def _wait(self, seconds: float) -> None:
        """Until woken (a commit, or stop), or `seconds` at most."""
        if not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)

    async def publish_pending(self) -> int:
        """Read up to one batch of unpublished rows, publish them oldest first and mark them;
        return how many went out."""
        async with self._engine.connect() as connection:
            rows = (await connection.execute(self._pending)).all()
        sent: list[str] = []
        try:
            for row in rows:
                if self._stopping:
                    break
                await self._publish(row.subject, row.payload, row.event_id, row.headers)
                sent.append(row.event_id)
                self._account_for(row.id)  # read in id order: every earlier one went before
        finally:
            # Those that went out before a failure are marked too.
            if sent:
                await self._published(sent)
        return len(sent)

    async def _published(self, event_ids: Sequence[str]) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(self._mark, {"event_ids": list(event_ids), "now": utc_now()})

    async def _publish(self, subject: str, payload: bytes, event_id: str, stored: str) -> None:
        """One row; `stored` is the trace context of the transaction that staged it."""
        with tracing.tracer.start_as_current_span(
            f"{subject} publish",
            context=tracing.extract(orjson.loads(stored)),
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.message.id": event_id,
            },
        ):
            headers = tracing.inject({"Nats-Msg-Id": event_id})
            await self._js.publish(subject, payload, headers=headers, timeout=2.0)
