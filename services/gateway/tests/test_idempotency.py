"""`Idempotency-Key` on POSTs (docs/rest.md), against `POST /children` with the real bookings
service: a retry answers the first result and creates nothing new, on both databases."""

import asyncio
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import utc_now
from database.engine import make_engine
from gateway.models import IdempotencyKey
from testkit.conftest_plugin import DatabaseFor
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .conftest import Gateway, Started, running_bookings, running_gateway, token_for

SAM = {"name": "Sam", "date_of_birth": "2018-05-01"}
KIM = {"name": "Kim", "date_of_birth": "2019-06-02"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def children(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    answer = await client.get("/children", headers=headers, params={"limit": 200})
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


async def stored_keys(database_url: str, **where: str) -> int:
    """How many rows of the gateway's idempotency table match `where`."""
    engine = make_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            query = select(func.count()).select_from(IdempotencyKey)
            for column, value in where.items():
                query = query.where(getattr(IdempotencyKey, column) == value)
            return int(await session.scalar(query) or 0)
    finally:
        await engine.dispose()


async def test_a_retry_answers_the_first_result_and_creates_nothing(
    bookings: Started, gateway: Gateway
) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    before = len(await children(client, parent))
    headers = {**parent, **key()}

    first = await client.post("/children", headers=headers, json=SAM)
    again = await client.post("/children", headers=headers, json=SAM)

    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.json() == first.json()
    assert len(await children(client, parent)) == before + 1


async def test_the_same_key_for_another_request_is_a_422_on_the_header(
    bookings: Started, gateway: Gateway
) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    headers = {**parent, **key()}
    assert (await client.post("/children", headers=headers, json=SAM)).status_code == 201
    before = len(await children(client, parent))

    for other in (
        client.post("/children", headers=headers, json=KIM),
        client.post("/children", headers=headers, json=SAM, params={"x": "1"}),
        client.post("/children/1/checklist", headers=headers, json={"answers": {"a": 1}}),
    ):
        answer = await other
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["detail"]
        assert error["loc"] == ["header", "Idempotency-Key"]
        assert "different request" in error["msg"]
    assert len(await children(client, parent)) == before


async def test_without_a_key_each_post_runs(bookings: Started, gateway: Gateway) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    before = len(await children(client, parent))
    first = await client.post("/children", headers=parent, json=SAM)
    second = await client.post("/children", headers=parent, json=SAM)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert len(await children(client, parent)) == before + 2


async def test_a_4xx_is_kept_and_replayed(bookings: Started, gateway: Gateway) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    headers = {**parent, **key()}
    body = {"name": "", "date_of_birth": "2999-01-01"}
    first = await client.post("/children", headers=headers, json=body)
    again = await client.post("/children", headers=headers, json=body)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    elsewhere = await client.post("/children/1/checklist", headers=headers, json={})
    assert elsewhere.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_tokens_and_401s_are_never_kept(gateway: Gateway, database_url: str) -> None:
    client, _ = gateway
    login = {"email": "parent@cams.test", "password": "password"}
    headers = key()
    first = await client.post("/auth/login", headers=headers, json=login)
    again = await client.post("/auth/login", headers=headers, json=login)
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in again.headers
    forged = {"Authorization": "Bearer forged", **key()}
    for _ in range(2):
        refused = await client.post("/children", headers=forged, json=SAM)
        assert refused.status_code == 401 and "idempotent-replayed" not in refused.headers
        assert refused.headers["www-authenticate"] == "Bearer"
    for used in (headers, forged):
        assert await stored_keys(database_url, key=used["Idempotency-Key"]) == 0


async def test_each_caller_has_their_own_keys(bookings: Started, gateway: Gateway) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    registered = await client.post(
        "/auth/register",
        json={"email": "other@cams.test", "name": "Olive", "password": "password1"},
    )
    other = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    shared = key()

    mine = await client.post("/children", headers={**parent, **shared}, json=SAM)
    theirs = await client.post("/children", headers={**other, **shared}, json=SAM)

    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["parent_id"] != mine.json()["parent_id"]
    assert [c["id"] for c in await children(client, other)] == [theirs.json()["id"]]


async def test_concurrent_posts_with_one_key_create_one_child(
    bookings: Started, gateway: Gateway
) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    before = len(await children(client, parent))
    headers = {**parent, **key()}

    answers = await asyncio.gather(
        *(client.post("/children", headers=headers, json=SAM) for _ in range(6))
    )

    ran = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(ran) == 1, [
        (a.status_code, a.headers.get("idempotent-replayed"), a.text[:200]) for a in answers
    ]
    for answer in answers:
        if answer is ran[0]:
            continue
        assert answer.status_code in (201, 409), answer.text
        if answer.status_code == 201:
            assert answer.headers["idempotent-replayed"] == "true"
            assert answer.json()["id"] == ran[0].json()["id"]
    assert len(await children(client, parent)) == before + 1


async def test_a_key_is_one_to_255_visible_ascii_characters(gateway: Gateway) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    authorization = parent["Authorization"].encode()
    for bad in (b"", b"a b", b"x" * 256, "café".encode("latin-1")):
        headers = {b"Authorization": authorization, b"Idempotency-Key": bad}
        answer = await client.post("/children", headers=headers, json=SAM)
        assert answer.status_code == 422, bad
        assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_a_5xx_releases_the_key_so_a_retry_runs(
    nats_server: NatsServer, database_url: str, database_for: DatabaseFor
) -> None:
    async with running_gateway(nats_server.url, database_url) as (client, _):
        parent = await token_for(client, "parent@cams.test")
        headers = {**parent, **key()}
        refused = await client.post("/children", headers=headers, json=SAM)
        assert refused.status_code == 503  # no bookings service yet
        async with running_bookings(nats_server.url, await database_for("bookings")):
            retried = await client.post("/children", headers=headers, json=SAM)
            assert retried.status_code == 201
            assert "idempotent-replayed" not in retried.headers
            again = await client.post("/children", headers=headers, json=SAM)
            assert again.json() == retried.json()


async def test_keys_expire_and_expired_ones_are_purged(
    nats_server: NatsServer, database_url: str, bookings: Started
) -> None:
    async with running_gateway(nats_server.url, database_url, idempotency_ttl_seconds=1) as (
        client,
        _,
    ):
        parent = await token_for(client, "parent@cams.test")
        older, reused = key(), key()
        assert (await client.post("/children", headers={**parent, **older}, json=KIM)).is_success
        first = await client.post("/children", headers={**parent, **reused}, json=SAM)

        async def runs_anew() -> httpx.Response | None:
            # Until the key expires, another body is refused (and changes nothing).
            answer = await client.post("/children", headers={**parent, **reused}, json=KIM)
            return answer if answer.status_code == 201 else None

        anew = await eventually(runs_anew, timeout=5)
        assert anew is not None and anew.json()["id"] != first.json()["id"]
        # The purge runs as a claim begins, the expiry of the claimed key is checked a moment
        # later: `older` may expire in between. Any later claim purges it.
        assert (await client.post("/children", headers={**parent, **key()}, json=KIM)).is_success
        assert await stored_keys(database_url, key=older["Idempotency-Key"]) == 0
        assert await stored_keys(database_url, key=reused["Idempotency-Key"]) == 1


async def test_an_answer_above_the_size_setting_is_not_kept_but_the_service_answers_again(
    nats_server: NatsServer, database_url: str, bookings: Started
) -> None:
    """The gateway releases the key; the retry runs the route again, and bookings, seeing the
    request id the key gives its request, answers the child it created rather than another."""
    async with running_gateway(nats_server.url, database_url, idempotency_max_body_bytes=10) as (
        client,
        _,
    ):
        parent = await token_for(client, "parent@cams.test")
        before = len(await children(client, parent))
        headers = {**parent, **key()}
        first = await client.post("/children", headers=headers, json=SAM)
        again = await client.post("/children", headers=headers, json=SAM)
        assert first.status_code == again.status_code == 201
        assert "idempotent-replayed" not in again.headers
        assert again.json() == first.json()
        assert len(await children(client, parent)) == before + 1
        assert await stored_keys(database_url, key=headers["Idempotency-Key"]) == 0


async def test_a_running_key_is_409_until_its_lease_ends(
    bookings: Started, gateway: Gateway
) -> None:
    client, settings = gateway
    parent = await token_for(client, "parent@cams.test")
    body = b'{"name": "Sam", "date_of_birth": "2018-05-01"}'
    scope = sha256(parent["Authorization"].encode())
    fingerprint = sha256(f"POST\n/api/v1/children\n\n{sha256(body)}".encode())
    running, abandoned = key(), key()
    now = utc_now()
    lease = timedelta(seconds=settings.idempotency_lease_seconds + 1)
    engine = make_engine(settings.database_url)
    try:
        async with AsyncSession(engine) as session:
            for held, started in ((running, now), (abandoned, now - lease)):
                # As a first request leaves it while it runs (or when its gateway died).
                session.add(
                    IdempotencyKey(
                        scope=scope,
                        key=held["Idempotency-Key"],
                        fingerprint=fingerprint,
                        created_at=started,
                        expires_at=now + timedelta(hours=1),
                    )
                )
            await session.commit()
    finally:
        await engine.dispose()

    json = {"Content-Type": "application/json"}
    busy = await client.post("/children", headers={**parent, **json, **running}, content=body)
    assert busy.status_code == 409, busy.text
    taken = await client.post("/children", headers={**parent, **json, **abandoned}, content=body)
    assert taken.status_code == 201, taken.text


async def test_a_browser_may_send_a_key_and_read_the_replay_header(gateway: Gateway) -> None:
    client, _ = gateway
    preflight = await client.options(
        "/children",
        headers={
            "Origin": "http://localhost:4300",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    parent = await token_for(client, "parent@cams.test")
    headers = {**parent, **key(), "Origin": "http://localhost:4300"}
    for _ in range(2):
        answer = await client.post("/children", headers=headers, json={})
        assert answer.status_code == 422
    assert answer.headers["idempotent-replayed"] == "true"
    assert answer.headers["access-control-allow-origin"] == "http://localhost:4300"
    assert "idempotent-replayed" in answer.headers["access-control-expose-headers"].lower()
