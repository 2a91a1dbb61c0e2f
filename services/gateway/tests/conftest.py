"""Fixtures of the gateway's tests: the gateway, and the services a test reaches through it, each
started by its own bootstrap on one real nats-server, on SQLite and PostgreSQL (each service with
its own database of the same kind)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bookings.bootstrap import SERVICE as BOOKINGS
from bookings.bootstrap import start as start_bookings
from bookings.settings import BookingsSettings
from gateway.bootstrap import SERVICE as GATEWAY
from gateway.bootstrap import start as start_gateway
from gateway.business_day import local_time_zone_name
from gateway.settings import GatewaySettings
from runtime.process import Running
from runtime.service import migrate
from testkit.conftest_plugin import DatabaseFor
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.waiting import eventually
from trainers.bootstrap import SERVICE as TRAINERS
from trainers.bootstrap import start as start_trainers
from trainers.settings import TrainersSettings

PASSWORD = "password"
# The development payment processor declines exactly these amounts (docs/rest.md).
DECLINED = Decimal("13.13")

Gateway = tuple[httpx.AsyncClient, GatewaySettings]
# The business day of the gateway and of trainers alike (docs/rest.md), named explicitly: the
# machine's zone, whose date bookings also reads when it refuses a session in the past.
BUSINESS_TIME_ZONE = local_time_zone_name()


class Started:
    """A service started for a test; a test may stop it early, the fixture stops it once."""

    def __init__(self, running: Running) -> None:
        self.running = running
        self.stopped = False

    async def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await self.running.stop()


@asynccontextmanager
async def running_gateway(
    nats_url: str, database_url: str, **settings: Any
) -> AsyncIterator[Gateway]:
    """The gateway with the demo users (password "password"), and a client of its /api/v1."""
    defaults: dict[str, Any] = {
        "port": free_port(),
        "metrics_port": free_port(),
        "seed_demo_users": True,
        "request_timeout_seconds": 1.0,
    }
    config = GatewaySettings(
        NATS_URL=nats_url, database_url=database_url, **{**defaults, **settings}
    )
    await migrate(GATEWAY, database_url)
    running = await start_gateway(config)
    try:
        root = f"http://127.0.0.1:{config.port}"
        async with httpx.AsyncClient(base_url=f"{root}/api/v1", timeout=10) as client:
            # The server starts listening in the background.
            await eventually(lambda: _answers(client, f"{root}/healthz"))
            yield client, config
    finally:
        await running.stop()


async def _answers(client: httpx.AsyncClient, url: str) -> bool:
    return (await client.get(url)).status_code == 200


@asynccontextmanager
async def running_bookings(nats_url: str, database_url: str) -> AsyncIterator[Started]:
    await migrate(BOOKINGS, database_url)
    settings = BookingsSettings(
        NATS_URL=nats_url, database_url=database_url, payments_decline_amounts=[DECLINED]
    )
    started = Started(await start_bookings(settings))
    try:
        yield started
    finally:
        await started.stop()


@asynccontextmanager
async def running_trainers(
    nats_url: str, database_url: str, **settings: Any
) -> AsyncIterator[Started]:
    await migrate(TRAINERS, database_url)
    started = Started(
        await start_trainers(
            TrainersSettings(NATS_URL=nats_url, database_url=database_url, **settings)
        )
    )
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def gateway(nats_server: NatsServer, database_url: str) -> AsyncIterator[Gateway]:
    async with running_gateway(nats_server.url, database_url) as running:
        yield running


@pytest.fixture
async def bookings(nats_server: NatsServer, database_for: DatabaseFor) -> AsyncIterator[Started]:
    async with running_bookings(nats_server.url, await database_for("bookings")) as started:
        yield started


async def token_for(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> dict[str, str]:
    """The Authorization header of a signed-in user."""
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def ok(answer: httpx.Response, status: int = 200) -> Any:
    """The JSON of an answer that must have this status."""
    assert answer.status_code == status, (answer.request.url, answer.status_code, answer.text)
    return answer.json()


def refused(answer: httpx.Response, status: int, says: str = "") -> Any:
    """The `detail` of a refusal with this status, whose body says `says`."""
    assert answer.status_code == status, (answer.request.url, answer.status_code, answer.text)
    assert says.lower() in answer.text.lower(), answer.text
    return answer.json()["detail"]


def field_locations(answer: httpx.Response) -> set[tuple[str | int, ...]]:
    """The locations of a 422's field errors."""
    assert answer.status_code == 422, answer.text
    return {tuple(error["loc"]) for error in answer.json()["detail"]}


@dataclass
class User:
    id: int
    role: str
    headers: dict[str, str]


@dataclass
class Stack:
    """Gateway, bookings and trainers, each from its own bootstrap, on one nats-server."""

    client: httpx.AsyncClient
    settings: GatewaySettings
    bookings: Started
    trainers: Started
    # Each service's database, to start it again on the same data.
    databases: dict[str, str] = field(default_factory=dict)

    async def login(self, email: str, password: str = PASSWORD) -> User:
        answer = ok(
            await self.client.post("/auth/login", json={"email": email, "password": password})
        )
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        return User(answer["user"]["id"], answer["user"]["role"], headers)

    async def new_user(self, role: str) -> User:
        """A new account of this role, made by the demo admin, signed in."""
        admin = await self.login("admin@cams.test")
        email = f"{role}-{uuid.uuid4().hex[:8]}@cams.test"
        body = {"email": email, "name": f"A {role}", "role": role, "password": PASSWORD}
        ok(await self.client.post("/users", headers=admin.headers, json=body), 201)
        return await self.login(email)

    async def profile(self, trainer: User) -> dict[str, Any]:
        """The trainer's profile, once the trainers service has read the user's UserCreated."""

        async def made() -> dict[str, Any] | None:
            answer = await self.client.get("/trainers/me", headers=trainer.headers)
            return answer.json() if answer.status_code == 200 else None

        found = await eventually(made, timeout=15)
        assert found is not None
        return found


@pytest.fixture
async def stack(
    nats_server: NatsServer, database_url: str, database_for: DatabaseFor
) -> AsyncIterator[Stack]:
    url = nats_server.url
    databases = {name: await database_for(name) for name in ("bookings", "trainers")}
    zone = BUSINESS_TIME_ZONE
    async with (
        running_bookings(url, databases["bookings"]) as booked,
        running_trainers(url, databases["trainers"], business_time_zone=zone) as trained,
        # A service may take its time: a stopped one is still refused at once (no responders).
        running_gateway(
            url, database_url, request_timeout_seconds=5.0, business_time_zone=zone
        ) as (client, settings),
    ):
        yield Stack(client, settings, booked, trained, databases)
