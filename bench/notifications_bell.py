"""Notifications benchmark: the bell of a user with 50,000 notifications, and the dispatcher.

    .tools/bin/uv run python bench/notifications_bell.py [--notifications 50000] [--requests 300]
    .tools/bin/uv run python bench/notifications_bell.py --databases sqlite   # no PostgreSQL

For each database (SQLite in a temporary directory; PostgreSQL on 127.0.0.1:5432, a throwaway
database from `testkit.postgres.fresh_database`), nats-server and the notifications service run
in this process (the service from its own bootstrap, loopback only), as its tests start it.

1. **The bell.** One user's notifications are inserted with SQL in bulk, not timed: half read,
   one in ten archived, across the five categories (then `VACUUM ANALYZE` on PostgreSQL, as
   autovacuum would). Then, round by round, one sequential NATS request of each kind (so each
   is timed alone):

   - `ping`: `$SRV.PING.notifications`, the micro service's own answer (no handler, no database);
   - `count_empty`: `CountUnread` for a user with no notification (the handler and one query);
   - `count_unread`: `CountUnread` for the user with them all;
   - `first_page`: `ListNotifications` (first page, 50, newest first) for that user;
   - `first_page_unread`: the same with `unread: true`.

   Reported: p50 and p95 in milliseconds, and each p50 over `count_empty`'s.

2. **The dispatcher.** First the raw JetStream publish rate: N messages published (each awaiting
   its ack, `--publish-window` in flight) to a stream nobody consumes. Then N `PaymentProcessed`
   events (one payer each, so N notifications) published the same way to `BOOKINGS_EVENTS`,
   timed from the first publish until N `payment` notifications exist (counted with SQL every
   20 ms). Each event is also an activity entry, written by the same consumer in the same
   transaction, as in production.

Bounded: it stops by itself within `--max-seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.js.api import StreamConfig
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import notifications as n
from contracts.bookings import PaymentProcessed
from contracts.envelope import Actor, Role
from contracts.notifications import Category
from database.engine import make_engine
from messaging.codec import encode
from messaging.requests import request
from messaging.streams import ensure_streams
from notifications.adapters.tables import user_notifications
from notifications.bootstrap import SERVICE as NOTIFICATIONS
from notifications.bootstrap import start as start_notifications
from notifications.settings import NotificationsSettings
from runtime.service import migrate
from testkit.nats_server import NatsServer
from testkit.postgres import fresh_database

MAX_NOTIFICATIONS = 1_000_000
MAX_EVENTS = 50_000
INSERT_BATCH = 5_000
HEAVY = Actor(user_id=1001, role=Role.parent, name="Heavy Reader")
EMPTY = Actor(user_id=1002, role=Role.parent, name="New Parent")
PAYER_BASE = 100_000  # payers of the dispatcher's events: PAYER_BASE + i
CATEGORIES = list(Category)


@dataclass
class Stack:
    nc: Client
    engine: AsyncEngine


@asynccontextmanager
async def running(root: Path, database_url: str) -> AsyncIterator[Stack]:
    """nats-server and the notifications service on `database_url`; stopped on the way out."""
    async with AsyncExitStack() as stack:
        server = stack.enter_context(NatsServer(root / "jetstream"))
        await migrate(NOTIFICATIONS, database_url)
        service = await start_notifications(
            NotificationsSettings(NATS_URL=server.url, database_url=database_url)
        )
        stack.push_async_callback(service.stop)
        nc = await nats.connect(server.url)
        stack.push_async_callback(nc.drain)
        engine = make_engine(database_url)
        stack.push_async_callback(engine.dispose)
        yield Stack(nc, engine)


# -- seeding (not timed) ---------------------------------------------------------------------


async def seed(engine: AsyncEngine, count: int) -> None:
    """`count` notifications of HEAVY, oldest first: every other one read, one in ten archived."""
    start = datetime.now(UTC) - timedelta(days=60)
    for first in range(0, count, INSERT_BATCH):
        rows: list[dict[str, Any]] = []
        for i in range(first, min(count, first + INSERT_BATCH)):
            at = start + timedelta(seconds=i * 60)
            rows.append(
                {
                    "recipient_id": HEAVY.user_id,
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "title": f"Notification {i}",
                    "body": f"Something happened to booking {i}",
                    "link": f"/bookings/{i}",
                    "source_event_id": str(uuid.uuid4()),
                    "read_at": at if i % 2 else None,
                    "archived_at": at if i % 10 == 0 else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        async with engine.begin() as conn:
            await conn.execute(insert(user_notifications), rows)
    if engine.dialect.name == "postgresql":
        # The planner's statistics and the visibility map, as autovacuum keeps them for a table
        # this size (an unread count is then an index-only scan).
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE user_notifications"))


# -- timing ----------------------------------------------------------------------------------


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    begin = time.perf_counter()
    await call()
    return (time.perf_counter() - begin) * 1000


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
    }


async def bell(stack: Stack, requests: int, warmup: int) -> dict[str, dict[str, float]]:
    nc = stack.nc
    seen: dict[str, Any] = {}

    async def ping() -> None:
        await nc.request("$SRV.PING.notifications", b"", timeout=10)

    async def count_empty() -> None:
        seen["empty"] = await request(nc, n.CountUnread(actor=EMPTY), timeout=10)

    async def count_unread() -> None:
        seen["count"] = await request(nc, n.CountUnread(actor=HEAVY), timeout=10)

    async def first_page() -> None:
        seen["page"] = await request(nc, n.ListNotifications(actor=HEAVY), timeout=10)

    async def first_page_unread() -> None:
        seen["unread"] = await request(
            nc, n.ListNotifications(actor=HEAVY, unread=True), timeout=10
        )

    kinds = {
        "ping": ping,
        "count_empty": count_empty,
        "count_unread": count_unread,
        "first_page": first_page,
        "first_page_unread": first_page_unread,
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for i in range(warmup + requests):
        for name, call in kinds.items():
            took = await timed(call)
            if i >= warmup:
                samples[name].append(took)
    results = {name: summary(values) for name, values in samples.items()}
    results["_answers"] = {
        "unread_count": seen["count"].count,
        "empty_count": seen["empty"].count,
        "first_page_items": len(seen["page"].items),
        "first_page_unread_items": len(seen["unread"].items),
    }
    return results


async def publish_all(stack: Stack, messages: list[tuple[str, bytes, str]], window: int) -> float:
    """Publish every (subject, payload, msg id), `window` awaiting their acks at once; seconds."""
    js = stack.nc.jetstream()
    begin = time.perf_counter()
    for first in range(0, len(messages), window):
        await asyncio.gather(
            *(
                js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id}, timeout=30)
                for subject, payload, msg_id in messages[first : first + window]
            )
        )
    return time.perf_counter() - begin


async def payments_stored(engine: AsyncEngine) -> int:
    query = select(func.count()).where(user_notifications.c.category == Category.payment)
    query = query.where(user_notifications.c.recipient_id >= PAYER_BASE)
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def dispatcher(stack: Stack, events: int, window: int, timeout: float) -> dict[str, Any]:
    js = stack.nc.jetstream()
    await ensure_streams(js)
    await js.add_stream(StreamConfig(name="BENCH_RAW", subjects=["bench.raw.>"]))
    payments = [
        PaymentProcessed(
            actor=Actor(user_id=PAYER_BASE + i, role=Role.parent, name=f"Payer {i}"),
            payment_id=i + 1,
            booking_id=i + 1,
            payer_id=PAYER_BASE + i,
            amount=Decimal("25.00"),
            currency="GBP",
        )
        for i in range(events)
    ]
    encoded = [(p.subject, encode(p), str(p.event_id)) for p in payments]
    raw = [
        (f"bench.raw.{i}", payload, str(uuid.uuid4())) for i, (_, payload, _) in enumerate(encoded)
    ]
    raw_seconds = await publish_all(stack, raw, window)

    begin = time.perf_counter()
    published = await publish_all(stack, encoded, window)
    deadline = begin + timeout
    stored = 0
    while time.perf_counter() < deadline:
        stored = await payments_stored(stack.engine)
        if stored >= events:
            break
        await asyncio.sleep(0.02)
    total = time.perf_counter() - begin
    if stored < events:
        raise SystemExit(f"only {stored} of {events} notifications after {timeout}s")
    return {
        "events": events,
        "raw_publish_per_s": round(events / raw_seconds),
        "publish_seconds": round(published, 2),
        "stored_seconds": round(total, 2),
        "dispatched_per_s": round(events / total),
        "dispatched_over_raw_publish": round((events / total) / (events / raw_seconds), 3),
    }


async def run_on(kind: str, url: str, root: Path, args: argparse.Namespace) -> None:
    async with running(root / kind, url) as stack:
        began = time.perf_counter()
        await seed(stack.engine, args.notifications)
        seeded = time.perf_counter() - began
        results = await bell(stack, args.requests, args.warmup)
        answers = results.pop("_answers")
        base = results["count_empty"]["p50_ms"]
        for name, result in results.items():
            over = round(result["p50_ms"] / base, 2)
            line = {"database": kind, "kind": name, **result, "p50_over_count_empty": over}
            print(json.dumps(line), flush=True)
        print(
            json.dumps(
                {
                    "database": kind,
                    "notifications": args.notifications,
                    **answers,
                    "seed_seconds": round(seeded, 1),
                    "requests_per_kind": args.requests,
                }
            ),
            flush=True,
        )
        flow = await dispatcher(stack, args.events, args.publish_window, args.dispatch_timeout)
        print(json.dumps({"database": kind, "kind": "dispatcher", **flow}), flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notifications", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--publish-window", type=int, default=100)
    parser.add_argument("--dispatch-timeout", type=float, default=120)
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="comma separated: sqlite, postgres"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=600, help="the whole run stops by then"
    )
    args = parser.parse_args()
    if not 1 <= args.notifications <= MAX_NOTIFICATIONS or not 1 <= args.events <= MAX_EVENTS:
        parser.error(f"--notifications 1..{MAX_NOTIFICATIONS}, --events 1..{MAX_EVENTS}")
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if not kinds or set(kinds) - {"sqlite", "postgres"}:
        parser.error("--databases takes sqlite and/or postgres")
    logging.basicConfig(level=logging.ERROR)  # shutdown warns of every closed connection
    async with asyncio.timeout(args.max_seconds):
        with tempfile.TemporaryDirectory(prefix="bench-notifications-") as root:
            for kind in kinds:
                if kind == "sqlite":
                    await run_on(kind, f"sqlite:///{root}/notifications.db", Path(root), args)
                else:
                    async with fresh_database() as url:
                        await run_on(kind, url, Path(root), args)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
