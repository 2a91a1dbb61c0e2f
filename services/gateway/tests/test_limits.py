"""The gateway's limits (docs/security.md), each through the wire against a real gateway: sign-in
attempts per client address and per email (429 with Retry-After), shared by the replicas on one
NATS and counted per process while NATS is away, password hashes at once (503 with
Retry-After), body size (413, declared or chunked), head size (431), and /metrics kept off the
public port."""

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
import nats
import orjson
from nats.js.errors import NoKeysError

from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .conftest import running_gateway

WRONG = {"email": "admin@cams.test", "password": "not-the-password"}
RIGHT = {"email": "parent@cams.test", "password": "password"}


def _gateway(nats_server: NatsServer, tmp_path: Path, **settings: Any) -> Any:
    return running_gateway(nats_server.url, f"sqlite:///{tmp_path / 'gateway.db'}", **settings)


async def _raw_exchange(port: int, request: bytes) -> tuple[int, str]:
    """Status and `detail` of the answer to these bytes, read until the gateway closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), orjson.loads(body)["detail"]


def _rate_limited(answer: httpx.Response) -> None:
    """A 429 in the API's error shape, with a whole number of seconds to wait."""
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert "too many" in answer.json()["detail"]


async def test_sign_ins_past_the_per_address_limit_are_429_with_retry_after(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path, auth_attempts_per_address=3) as (client, _):
        for _ in range(3):
            assert (await client.post("/auth/login", json=WRONG)).status_code == 401
        _rate_limited(await client.post("/auth/login", json=RIGHT))
        register = {"email": "new@cams.test", "name": "New", "password": "long-enough"}
        _rate_limited(await client.post("/auth/register", json=register))


async def test_attempts_come_back_as_the_window_slides(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(
        nats_server, tmp_path, auth_attempts_per_address=1, auth_attempts_window_seconds=1.0
    ) as (client, _):
        assert (await client.post("/auth/login", json=RIGHT)).status_code == 200
        refused = await client.post("/auth/login", json=RIGHT)
        _rate_limited(refused)
        assert refused.headers["Retry-After"] == "1"

        async def signed_in() -> bool:
            return (await client.post("/auth/login", json=RIGHT)).status_code == 200

        await eventually(signed_in, timeout=10)


async def test_sign_ins_past_the_per_email_limit_are_429_and_other_emails_go_on(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path, auth_attempts_per_email=2) as (client, _):
        for _ in range(2):
            assert (await client.post("/auth/login", json=WRONG)).status_code == 401
        # The right password too: the email is locked for the window, not the guess.
        _rate_limited(await client.post("/auth/login", json={**WRONG, "password": "password"}))
        # The same email in other letters and spaces is the same email.
        _rate_limited(await client.post("/auth/login", json={**WRONG, "email": " Admin@CAMS.test"}))
        assert (await client.post("/auth/login", json=RIGHT)).status_code == 200


async def test_x_forwarded_for_is_ignored_unless_its_sender_is_a_trusted_proxy(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path, auth_attempts_per_address=2) as (client, _):
        for n in range(2):
            forged = {"X-Forwarded-For": f"203.0.113.{n}"}
            answer = await client.post("/auth/login", json=WRONG, headers=forged)
            assert answer.status_code == 401
        _rate_limited(
            await client.post("/auth/login", json=RIGHT, headers={"X-Forwarded-For": "203.0.113.9"})
        )


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(
        nats_server, tmp_path, auth_attempts_per_address=2, trusted_proxies=["127.0.0.0/8"]
    ) as (client, _):
        first = {"X-Forwarded-For": "203.0.113.1"}
        for _ in range(2):
            assert (await client.post("/auth/login", json=WRONG, headers=first)).status_code == 401
        _rate_limited(await client.post("/auth/login", json=RIGHT, headers=first))
        second = {"X-Forwarded-For": "203.0.113.2"}
        assert (await client.post("/auth/login", json=RIGHT, headers=second)).status_code == 200


async def test_password_checks_past_the_waiting_bound_are_503_with_retry_after(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(
        nats_server, tmp_path, password_hash_concurrency=1, password_hash_waiting=1
    ) as (client, _):
        # Each check takes tens of milliseconds of Argon2: sent at once, most find no room.
        answers = await asyncio.gather(*(client.post("/auth/login", json=RIGHT) for _ in range(12)))
        statuses = [answer.status_code for answer in answers]
        assert set(statuses) == {200, 503}, statuses
        busy = next(answer for answer in answers if answer.status_code == 503)
        assert int(busy.headers["Retry-After"]) >= 1
        assert "retry" in busy.json()["detail"]
        # Nothing is left waiting: the next one is served.
        assert (await client.post("/auth/login", json=RIGHT)).status_code == 200


async def test_a_body_past_the_limit_is_413_whether_declared_or_chunked(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path, max_body_bytes=1024) as (client, settings):
        padded = {**RIGHT, "padding": "x" * 8192}
        declared = await client.post("/auth/login", json=padded)
        assert declared.status_code == 413, declared.text
        assert "larger than 1024 bytes" in declared.json()["detail"]

        # Chunked, without Content-Length, written at once so that the whole request is in
        # before the gateway answers and closes.
        body = orjson.dumps(padded)
        chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
        request = (
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: gateway\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
            + b"0\r\n\r\n"
        )
        status, detail = await _raw_exchange(settings.port, request)
        assert status == 413
        assert "larger than 1024 bytes" in detail
        assert (await client.post("/auth/login", json=RIGHT)).status_code == 200


async def test_a_request_head_past_the_limit_is_431(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path, max_header_bytes=2048) as (client, settings):
        answer = await client.post("/auth/login", json=RIGHT, headers={"X-Big": "x" * 4096})
        assert answer.status_code == 431, answer.text
        assert "larger than 2048 bytes" in answer.json()["detail"]
        many = {f"X-Header-{n}": "y" * 40 for n in range(100)}
        assert (await client.post("/auth/login", json=RIGHT, headers=many)).status_code == 431
        long_url = await client.get("/me", params={"q": "z" * 4096})
        assert long_url.status_code == 431
        # A head that never ends is refused once it passes the limit, not held until it ends.
        endless = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Big: " + b"x" * 8192
        status, detail = await _raw_exchange(settings.port, endless)
        assert status == 431
        assert "larger than 2048 bytes" in detail
        assert (await client.post("/auth/login", json=RIGHT)).status_code == 200


async def test_metrics_are_served_on_their_own_listener_not_the_public_port(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path) as (client, settings):
        assert (await client.post("/auth/login", json=RIGHT)).status_code == 200
        public = f"http://127.0.0.1:{settings.port}/metrics"
        assert (await client.get(public)).status_code == 404
        private = await client.get(
            f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
        )
        assert private.status_code == 200
        assert 'route="/api/v1/auth/login",status="200"' in private.text


async def test_metrics_port_zero_serves_no_metrics(nats_server: NatsServer, tmp_path: Path) -> None:
    async with _gateway(nats_server, tmp_path, metrics_port=0) as (client, settings):
        assert settings.metrics_port == 0
        assert (await client.get(f"http://127.0.0.1:{settings.port}/metrics")).status_code == 404


# -- attempts counted across replicas (gateway.limits.attempts) --------------------------------


def _two_gateways(nats_server: NatsServer, tmp_path: Path, **settings: Any) -> Any:
    """Two replicas on one NATS, each with its own database (and the demo users)."""
    stack = contextlib.AsyncExitStack()

    async def enter() -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
        clients = []
        for name in ("a", "b"):
            url = f"sqlite:///{tmp_path / f'gateway-{name}.db'}"
            client, _ = await stack.enter_async_context(
                running_gateway(nats_server.url, url, **settings)
            )
            clients.append(client)
        return clients[0], clients[1]

    return stack, enter


async def test_replicas_share_the_per_address_limit(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    stack, enter = _two_gateways(nats_server, tmp_path, auth_attempts_per_address=3)
    async with stack:
        a, b = await enter()
        for client in (a, b, a):
            assert (await client.post("/auth/login", json=WRONG)).status_code == 401
        # Three attempts between them: each replica alone would have allowed three.
        _rate_limited(await b.post("/auth/login", json=RIGHT))
        _rate_limited(await a.post("/auth/login", json=RIGHT))


async def test_replicas_share_the_per_email_limit(nats_server: NatsServer, tmp_path: Path) -> None:
    stack, enter = _two_gateways(nats_server, tmp_path, auth_attempts_per_email=2)
    async with stack:
        a, b = await enter()
        assert (await a.post("/auth/login", json=WRONG)).status_code == 401
        assert (await b.post("/auth/login", json=WRONG)).status_code == 401
        _rate_limited(await a.post("/auth/login", json={**WRONG, "password": "password"}))
        assert (await b.post("/auth/login", json=RIGHT)).status_code == 200


async def test_attempts_at_once_on_two_replicas_get_no_more_than_the_limit(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    stack, enter = _two_gateways(nats_server, tmp_path, auth_attempts_per_address=4)
    async with stack:
        a, b = await enter()
        answers = await asyncio.gather(
            *(client.post("/auth/login", json=WRONG) for client in (a, b) * 6)
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [401] * 4 + [429] * 8, statuses


async def test_the_shared_counts_name_no_address_or_email(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path) as (client, config):
        assert (await client.post("/auth/login", json=WRONG)).status_code == 401
        shared = await _shared_counts(nats_server.url, config.auth_attempts_bucket)
    assert sorted(key.split(".")[0] for key in shared) == ["address", "email"]
    for text in [*shared, *(value.decode() for value in shared.values())]:
        assert "127.0.0.1" not in text and "cams.test" not in text, text


async def _shared_counts(nats_url: str, bucket: str) -> dict[str, bytes]:
    """Every key of the replicas' shared bucket, and its value."""
    nc = await nats.connect(nats_url)
    try:
        kv = await nc.jetstream().key_value(bucket)
        try:
            keys = list(await kv.keys())
        except NoKeysError:
            return {}
        return {key: (await kv.get(key)).value or b"" for key in keys}
    finally:
        await nc.close()


async def test_while_nats_is_away_each_replica_counts_its_own_attempts(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with _gateway(nats_server, tmp_path, auth_attempts_per_address=2) as (client, config):
        nats_server.stop()
        # Sign-in goes on (the users are the gateway's own), limited by this process's count.
        for _ in range(2):
            assert (await client.post("/auth/login", json=RIGHT)).status_code == 200
        _rate_limited(await client.post("/auth/login", json=RIGHT))
        metrics = f"http://{config.metrics_host}:{config.metrics_port}/metrics"
        assert (
            'gateway_auth_attempts_counted_total{where="process"}'
            in (await client.get(metrics)).text
        )

        # NATS back (its in-memory bucket gone): the counts are shared again, in a new bucket.
        nats_server.start()

        async def counted_in_nats() -> bool:
            await client.post("/auth/login", json={**RIGHT, "email": "trainer@cams.test"})
            with contextlib.suppress(Exception):
                return bool(await _shared_counts(nats_server.url, config.auth_attempts_bucket))
            return False

        await eventually(counted_in_nats, timeout=20)
