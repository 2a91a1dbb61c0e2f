"""`GET /admin/today` benchmark: a day of 500 sessions, against baselines timed in the same run.

    .tools/bin/uv run python bench/admin_today.py [--sessions 500] [--requests 200]

nats-server, bookings, trainers and the gateway run in this process (each from its own
bootstrap, on SQLite in a temporary directory, loopback only), as the gateway's tests start them.
Seeding is not timed: trainers and parents are made through the gateway's REST (it owns the
users), the rest through NATS requests. Each trainer has an equal share of the day's sessions;
on the first half of their share they clock in and say what they are doing, and every one of
those but the last is clocked out again, so the day has all three buckets.

Then, round by round, one request of each kind, sequential (so each is timed alone):

- `me`: `GET /api/v1/me`, the gateway's own path with a token (no NATS);
- `list_of_day`: the bare `ListSchedulesOfDay` NATS request (bookings' half of the view);
- `day_activity`: the bare `GetDayActivity` NATS request for the same ids (trainers' half);
- `admin_today`: `GET /api/v1/admin/today`, both halves joined and bucketed.

Reported: p50 and p95 in milliseconds per kind, and `admin_today`'s p50 over `me`'s and over
`list_of_day` + `day_activity` (what the joining, bucketing and the HTTP answer add).

The four services share this process's heap (in production each has its own), so after seeding
the heap is frozen (`gc.freeze`): a full collection then walks only what the requests made, not
every service's start-up and seeded objects. `--no-freeze` measures without it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from datetime import time as clock
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
from nats.aio.client import Client

from bookings.bootstrap import SERVICE as BOOKINGS
from bookings.bootstrap import start as start_bookings
from bookings.settings import BookingsSettings
from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Actor, R, Request, Role
from gateway.bootstrap import SERVICE as GATEWAY
from gateway.bootstrap import start as start_gateway
from gateway.business_day import today_in, zone_of
from gateway.settings import GatewaySettings
from messaging.requests import request
from runtime.service import migrate
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.waiting import eventually
from trainers.bootstrap import SERVICE as TRAINERS
from trainers.bootstrap import start as start_trainers
from trainers.settings import TrainersSettings

PASSWORD = "password"
ADMIN_EMAIL = "admin@cams.test"  # the gateway's demo admin
MAX_SESSIONS = 2000  # bookings answers at most this many sessions of one day by default
MAX_REQUESTS = 2000
DAY_START = 6 * 60  # the first session starts at 06:00
DAY_MINUTES = 16 * 60  # ... and the last ends by 22:00
SEED_BATCH = 50  # requests in flight while seeding

T = TypeVar("T")


@dataclass
class Stack:
    nats_url: str
    api: httpx.AsyncClient
    nc: Client
    admin: Actor
    admin_headers: dict[str, str]
    today: date


@asynccontextmanager
async def running(root: Path, zone: str) -> AsyncIterator[Stack]:
    """nats-server and the three services on SQLite under `root`; stopped on the way out."""
    async with AsyncExitStack() as stack:
        server = stack.enter_context(NatsServer(root / "jetstream"))
        url = server.url
        bookings_db, trainers_db = (
            f"sqlite:///{root / name}.db" for name in ("bookings", "trainers")
        )
        await migrate(BOOKINGS, bookings_db)
        await migrate(TRAINERS, trainers_db)
        booked = await start_bookings(BookingsSettings(NATS_URL=url, database_url=bookings_db))
        stack.push_async_callback(booked.stop)
        trained = await start_trainers(
            TrainersSettings(NATS_URL=url, database_url=trainers_db, business_time_zone=zone)
        )
        stack.push_async_callback(trained.stop)
        gateway_db = f"sqlite:///{root / 'gateway'}.db"
        await migrate(GATEWAY, gateway_db)
        config = GatewaySettings(
            NATS_URL=url,
            database_url=gateway_db,
            port=free_port(),
            seed_demo_users=True,
            business_time_zone=zone,
            request_timeout_seconds=10.0,
        )
        gateway = await start_gateway(config)
        stack.push_async_callback(gateway.stop)
        root_url = f"http://127.0.0.1:{config.port}"
        api = await stack.enter_async_context(
            httpx.AsyncClient(base_url=f"{root_url}/api/v1", timeout=30)
        )
        await eventually(lambda: _healthy(api, f"{root_url}/healthz"), timeout=30)
        nc = await nats.connect(url)
        stack.push_async_callback(nc.drain)
        login = await api.post("/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        login.raise_for_status()
        answer = login.json()
        admin = Actor(user_id=answer["user"]["id"], role=Role.admin, name=answer["user"]["name"])
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        yield Stack(url, api, nc, admin, headers, today_in(zone_of(zone)))


async def _healthy(api: httpx.AsyncClient, url: str) -> bool:
    return (await api.get(url)).status_code == 200


# -- seeding (not timed) ---------------------------------------------------------------------


async def ask(stack: Stack, message: Request[R]) -> R:
    return await request(stack.nc, message, timeout=30)


async def in_batches(steps: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every step (not started yet), SEED_BATCH at a time; their answers in order."""
    answers: list[T] = []
    for start in range(0, len(steps), SEED_BATCH):
        answers += await asyncio.gather(*steps[start : start + SEED_BATCH])
    return answers


async def new_user(stack: Stack, role: Role, n: int) -> Actor:
    """A user made by the admin over REST, as the gateway owns users."""
    name = f"Bench {role.value} {n}"
    body = {"email": f"bench-{role.value}-{n}@cams.test", "name": name, "role": role.value}
    answer = await stack.api.post(
        "/users", headers=stack.admin_headers, json=body | {"password": PASSWORD}
    )
    answer.raise_for_status()
    return Actor(user_id=answer.json()["id"], role=role, name=name)


async def trainer_profile(stack: Stack, trainer: Actor) -> int:
    """The profile id, once trainers has read the user's `UserCreated`."""

    async def made() -> int:
        return (await ask(stack, t.GetMyTrainerProfile(actor=trainer))).id

    return await eventually(made, timeout=60, interval=0.1)


async def booking_of(stack: Stack, parent: Actor, n: int) -> int:
    child = await ask(
        stack,
        b.CreateChild(
            actor=parent,
            parent_id=parent.user_id,
            name=f"Child {n}",
            date_of_birth=date(2017, 1, 1),
        ),
    )
    return (await ask(stack, b.CreateBooking(actor=parent, child_id=child.id))).id


def slot(index: int, minutes: int) -> tuple[clock, clock]:
    start = DAY_START + index * minutes
    return clock(start // 60, start % 60), clock((start + minutes) // 60, (start + minutes) % 60)


async def work_the_day(stack: Stack, trainer: Actor, schedule_ids: list[int]) -> None:
    """Clock in and say what they do on the first half; clock out of all of it but the last."""
    worked = schedule_ids[: (len(schedule_ids) + 1) // 2]
    for n, schedule_id in enumerate(worked, 1):
        await ask(stack, t.ClockIn(actor=trainer, schedule_id=schedule_id, location="Gate"))
        await ask(
            stack,
            t.UpdateCurrentActivity(
                actor=trainer, schedule_id=schedule_id, activity="Passing drills", location="Pitch"
            ),
        )
        if n < len(worked):
            await ask(stack, t.ClockOut(actor=trainer, schedule_id=schedule_id))


async def seed(stack: Stack, sessions: int, trainers: int, parents: int) -> list[int]:
    """The day's sessions, assigned round-robin to trainers, booked round-robin by parents."""
    per_trainer = -(-sessions // trainers)
    minutes = DAY_MINUTES // per_trainer
    if minutes < 5:
        raise SystemExit(f"{per_trainer} sessions a trainer do not fit in a day: add --trainers")
    coaches = await in_batches([new_user(stack, Role.trainer, n) for n in range(trainers)])
    families = await in_batches([new_user(stack, Role.parent, n) for n in range(parents)])
    profiles = await in_batches([trainer_profile(stack, c) for c in coaches])
    await in_batches(
        [
            ask(stack, t.ReplaceAvailability(actor=c, trainer_id=p, dates=[stack.today]))
            for c, p in zip(coaches, profiles, strict=True)
        ]
    )
    bookings = await in_batches([booking_of(stack, p, n) for n, p in enumerate(families)])

    def create(i: int) -> Coroutine[Any, Any, b.ScheduleDetails]:
        start, end = slot(i // trainers, minutes)
        parent = families[i % parents]
        return ask(
            stack,
            b.CreateSchedule(
                actor=parent,
                booking_id=bookings[i % parents],
                date=stack.today,
                start_time=start,
                end_time=end,
                location=f"Room {i % trainers}",
            ),
        )

    made = await in_batches([create(i) for i in range(sessions)])
    # Session i is trainer i % trainers's; a batch of `trainers` consecutive ones has each
    # trainer once, so no two assignments of one trainer race (bookings serialises them).
    for start in range(0, sessions, trainers):
        await asyncio.gather(
            *(
                ask(
                    stack,
                    b.AssignTrainer(
                        actor=stack.admin, schedule_id=s.id, trainer_id=profiles[i % trainers]
                    ),
                )
                for i, s in enumerate(made[start : start + trainers], start)
            )
        )
    days = [[s.id for i, s in enumerate(made) if i % trainers == k] for k in range(trainers)]
    await asyncio.gather(
        *(work_the_day(stack, c, ids) for c, ids in zip(coaches, days, strict=True))
    )
    return [s.id for s in made]


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
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


async def measure(
    stack: Stack, requests: int, warmup: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each kind's latencies, one request of each per round; and the last `admin_today` answer."""
    listed = await ask(stack, b.ListSchedulesOfDay(actor=stack.admin, date=stack.today))
    ids = [s.id for s in listed.items]
    last: dict[str, Any] = {}

    async def me() -> None:
        (await stack.api.get("/me", headers=stack.admin_headers)).raise_for_status()

    async def list_of_day() -> None:
        await ask(stack, b.ListSchedulesOfDay(actor=stack.admin, date=stack.today))

    async def day_activity() -> None:
        await ask(stack, t.GetDayActivity(actor=stack.admin, schedule_ids=ids))

    async def admin_today() -> None:
        answer = await stack.api.get("/admin/today", headers=stack.admin_headers)
        answer.raise_for_status()
        last["answer"] = answer  # read after timing

    kinds = {
        "me": me,
        "list_of_day": list_of_day,
        "day_activity": day_activity,
        "admin_today": admin_today,
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for n in range(warmup + requests):
        for name, call in kinds.items():
            took = await timed(call)
            if n >= warmup:
                samples[name].append(took)
    answer: httpx.Response = last["answer"]
    return {name: summary(values) for name, values in samples.items()}, {
        "body": answer.json(),
        "bytes": len(answer.content),
    }


async def settled(stack: Stack, quiet: float = 1.0, timeout: float = 60.0) -> None:
    """Until the outbox relays have published what seeding wrote: no stream grows for `quiet`."""
    js = stack.nc.jetstream()

    async def total() -> int:
        return sum(info.state.messages for info in await js.streams_info())

    deadline = time.monotonic() + timeout
    seen = await total()
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = await total()
        if now == seen:
            return
        seen = now


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--trainers", type=int, default=50)
    parser.add_argument("--parents", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--time-zone", default="UTC", help="the gateway's and trainers' business zone"
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the seeded heap to the collector"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=300, help="the whole run stops by then"
    )
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS or not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--sessions 1..{MAX_SESSIONS}, --requests 1..{MAX_REQUESTS}")
    logging.basicConfig(level=logging.ERROR)  # shutdown warns of every closed connection
    async with asyncio.timeout(args.max_seconds):
        with tempfile.TemporaryDirectory(prefix="bench-admin-today-") as root:
            async with running(Path(root), args.time_zone) as stack:
                began = time.perf_counter()
                await seed(stack, args.sessions, args.trainers, args.parents)
                await settled(stack)
                seeded = time.perf_counter() - began
                gc.collect()
                if not args.no_freeze:
                    # Four services share this one heap, so a full collection walks all of them;
                    # frozen, what start-up and seeding made stays out of the requests' tail.
                    gc.freeze()
                results, last = await measure(stack, args.requests, args.warmup)
    body = last["body"]
    day = {bucket: len(body[bucket]) for bucket in ("in_progress", "upcoming", "finished")}
    for name, result in results.items():
        print(json.dumps({"kind": name, **result}), flush=True)
    today = results["admin_today"]["p50_ms"]
    halves = results["list_of_day"]["p50_ms"] + results["day_activity"]["p50_ms"]
    print(
        json.dumps(
            {
                "sessions_in_view": sum(day.values()),
                **day,
                "answer_bytes": last["bytes"],
                "requests_per_kind": args.requests,
                "seed_seconds": round(seeded, 1),
                "gc_frozen": not args.no_freeze,
                "admin_today_over_me_p50": round(today / results["me"]["p50_ms"], 1),
                "admin_today_over_both_nats_p50": round(today / halves, 2),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
