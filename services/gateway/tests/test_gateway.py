"""The gateway on its own: identity, tokens, channel signatures, and its contract — against a real
nats-server and both databases. (Children through the gateway are covered end to end.)"""

import hashlib
import hmac

import httpx
import orjson
import pusher
from nats.aio.client import Client

from contracts.envelope import Role
from contracts.identity import IDENTITY_EVENTS
from gateway.security import issue_token
from gateway.settings import GatewaySettings
from testkit.contracts import assert_valid

from .conftest import token_for

KEY, SECRET = "local-dev-key", "local-dev-secret"


async def test_login_answers_the_documented_shape(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, settings = gateway
    body = (
        await client.post("/auth/login", json={"email": "Admin@Cams.Test", "password": "password"})
    ).json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.token_ttl_seconds
    assert body["user"]["email"] == "admin@cams.test"
    assert set(body["user"]) == {"id", "email", "name", "role", "created_at", "updated_at"}


async def test_an_expired_token_is_refused(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, settings = gateway
    me = (await client.get("/me", headers=await token_for(client, "parent@cams.test"))).json()
    expired = issue_token(settings.jwt_secret.get_secret_value(), me["id"], Role.parent, -5)
    answer = await client.get("/me", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401


async def test_register_rejects_a_short_password_and_a_taken_email(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    short = await client.post(
        "/auth/register", json={"email": "a@b.test", "name": "A", "password": "x"}
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "password"]
    taken = await client.post(
        "/auth/register", json={"email": "parent@cams.test", "name": "P", "password": "longenough"}
    )
    assert taken.status_code == 409


async def test_channel_signatures_match_the_official_pusher_library(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    headers = await token_for(client, "parent@cams.test")
    me = (await client.get("/me", headers=headers)).json()
    official = pusher.Pusher(app_id="1", key=KEY, secret=SECRET)  # only signs
    channel = f"private-live-refresh.{me['id']}"

    signed = await client.post(
        "/broadcasting/auth",
        headers=headers,
        data={"socket_id": "123.456", "channel_name": channel},
    )
    assert signed.json() == official.authenticate(channel=channel, socket_id="123.456")

    presence = (
        await client.post(
            "/broadcasting/auth",
            headers=headers,
            data={"socket_id": "123.456", "channel_name": "presence-online"},
        )
    ).json()
    member = orjson.loads(presence["channel_data"])
    assert member == {
        "user_id": str(me["id"]),
        "user_info": {"id": me["id"], "name": me["name"], "role": "parent"},
    }
    # The signature covers channel_data byte for byte, as the Pusher protocol defines it.
    message = f"123.456:presence-online:{presence['channel_data']}".encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert presence["auth"] == f"{KEY}:{digest}"


async def test_channels_a_user_may_not_join_are_403(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    parent = await token_for(client, "parent@cams.test")
    admin = await token_for(client, "admin@cams.test")
    me = (await client.get("/me", headers=admin)).json()
    for channel in (
        "private-live-refresh.admin",
        f"private-live-refresh.{me['id']}",
        "private-other",
    ):
        answer = await client.post(
            "/broadcasting/auth", headers=parent, data={"socket_id": "1.2", "channel_name": channel}
        )
        assert answer.status_code == 403, channel
    ok = await client.post(
        "/broadcasting/auth",
        headers=admin,
        data={"socket_id": "1.2", "channel_name": "private-live-refresh.admin"},
    )
    assert ok.status_code == 200
    # A trailing newline and Unicode digits passed the old `^\d+\.\d+$` with `match`.
    for socket_id in ("nope", "1.2\n", "\u0661.\u0662", "1.2.3", " 1.2"):
        bad_socket = await client.post(
            "/broadcasting/auth",
            headers=admin,
            data={"socket_id": socket_id, "channel_name": "presence-online"},
        )
        assert bad_socket.status_code == 422, socket_id
    assert (
        await client.post(
            "/broadcasting/auth", data={"socket_id": "1.2", "channel_name": "presence-online"}
        )
    ).status_code == 401


async def test_user_authentication_for_signin(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    headers = await token_for(client, "trainer@cams.test")
    answer = (
        await client.post("/broadcasting/user-auth", headers=headers, data={"socket_id": "7.8"})
    ).json()
    user = orjson.loads(answer["user_data"])
    assert user["user_info"]["role"] == "trainer"
    message = f"7.8::user::{answer['user_data']}".encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert answer["auth"] == f"{KEY}:{digest}"


async def test_a_missing_service_is_503_at_once_not_a_hang(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway  # no bookings service runs in this test
    answer = await client.get("/children", headers=await token_for(client, "parent@cams.test"))
    assert answer.status_code == 503
    assert "bookings.requests.list_children" in answer.json()["detail"]


async def test_admins_create_users_and_each_creation_is_a_valid_user_created_event(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
    nc: Client,
) -> None:
    client, _ = gateway
    admin = await token_for(client, "admin@cams.test")
    created = await client.post(
        "/users",
        headers=admin,
        json={
            "email": "coach@cams.test",
            "name": "Coach",
            "role": "trainer",
            "password": "password1",
        },
    )
    assert created.status_code == 201
    listed = (await client.get("/users", headers=admin, params={"limit": 2})).json()
    assert listed["items"][0]["email"] == "coach@cams.test" and listed["next_cursor"]

    js = nc.jetstream()
    subscription = await js.pull_subscribe(IDENTITY_EVENTS.subjects[0], stream=IDENTITY_EVENTS.name)
    messages = await subscription.fetch(10, timeout=5)
    emails = []
    for message in messages:
        assert_valid(message.data, message.subject)
        assert message.headers and message.headers["Nats-Msg-Id"]
        emails.append(orjson.loads(message.data)["email"])
    assert "coach@cams.test" in emails


async def test_metrics_count_requests_by_route_template_and_status(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, settings = gateway
    headers = await token_for(client, "parent@cams.test")
    await client.get("/children/12345", headers=headers)  # 503: no bookings service here
    metrics = (await client.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")).text
    assert (
        'gateway_http_requests_total{method="GET",route="/api/v1/children/{child_id}",status="503"}'
        in metrics
    )
    assert 'route="/api/v1/auth/login",status="200"' in metrics


async def test_a_forged_users_cursor_is_a_422_on_the_cursor_field(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    admin = await token_for(client, "admin@cams.test")
    answer = await client.get("/users", headers=admin, params={"cursor": "not-a-cursor"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_the_frontends_origin_may_call_the_api_from_a_browser(
    gateway: tuple[httpx.AsyncClient, GatewaySettings],
) -> None:
    client, _ = gateway
    preflight = await client.options(
        "/broadcasting/auth",
        headers={
            "Origin": "http://localhost:4300",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:4300"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    stranger = await client.options(
        "/broadcasting/auth",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in stranger.headers
