"""The bell, the preferences and the activity feed through the gateway (docs/rest.md), with the
gateway, bookings and notifications each started by its own bootstrap on one nats-server: a
payment and a checklist become notifications, read one by one, all up to a watermark, archived;
someone else's is a 404; who may read the feed; each refusal's status and field."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from notifications.bootstrap import SERVICE as NOTIFICATIONS
from notifications.bootstrap import start as start_notifications
from notifications.settings import NotificationsSettings
from runtime.service import migrate
from testkit.conftest_plugin import DatabaseFor
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .conftest import (
    PASSWORD,
    Started,
    field_locations,
    ok,
    refused,
    running_bookings,
    running_gateway,
)


@asynccontextmanager
async def running_notifications(nats_url: str, database_url: str) -> AsyncIterator[Started]:
    await migrate(NOTIFICATIONS, database_url)
    started = Started(
        await start_notifications(
            NotificationsSettings(NATS_URL=nats_url, database_url=database_url)
        )
    )
    try:
        yield started
    finally:
        await started.stop()


@dataclass
class User:
    id: int
    headers: dict[str, str]


@dataclass
class Bell:
    api: httpx.AsyncClient

    async def login(self, email: str) -> User:
        body = {"email": email, "password": PASSWORD}
        answer = ok(await self.api.post("/auth/login", json=body))
        return User(answer["user"]["id"], {"Authorization": f"Bearer {answer['access_token']}"})

    async def new_user(self, role: str) -> User:
        admin = await self.login("admin@cams.test")
        email = f"{role}-{uuid.uuid4().hex[:8]}@cams.test"
        body = {"email": email, "name": f"A {role}", "role": role, "password": PASSWORD}
        ok(await self.api.post("/users", headers=admin.headers, json=body), 201)
        return await self.login(email)

    async def count(self, user: User) -> int:
        answer = ok(await self.api.get("/notifications/unread-count", headers=user.headers))
        assert set(answer) == {"count"}
        count: int = answer["count"]
        return count

    async def count_becomes(self, user: User, expected: int) -> None:
        async def reached() -> bool:
            return await self.count(user) == expected

        await eventually(reached, timeout=15)

    async def listed(self, user: User, **query: Any) -> list[dict[str, Any]]:
        page = ok(await self.api.get("/notifications", headers=user.headers, params=query))
        items: list[dict[str, Any]] = page["items"]
        return items

    async def child_of(self, parent: User) -> dict[str, Any]:
        body = {"name": "Kit", "date_of_birth": "2017-06-01"}
        child: dict[str, Any] = ok(
            await self.api.post("/children", headers=parent.headers, json=body), 201
        )
        return child

    async def pay(self, parent: User, amount: str = "25.00") -> dict[str, Any]:
        child = await self.child_of(parent)
        booking = ok(
            await self.api.post(
                "/bookings", headers=parent.headers, json={"child_id": child["id"]}
            ),
            201,
        )
        path = f"/bookings/{booking['id']}/payments"
        body = {"amount": amount, "currency": "GBP"}
        payment: dict[str, Any] = ok(
            await self.api.post(path, headers=parent.headers, json=body), 201
        )
        return payment


@pytest.fixture
async def bell(nats_server: NatsServer, database_url: str, database_for: DatabaseFor) -> Any:
    url = nats_server.url
    databases = {name: await database_for(name) for name in ("bookings", "notifications")}
    async with (
        running_bookings(url, databases["bookings"]),
        running_notifications(url, databases["notifications"]),
        running_gateway(url, database_url, request_timeout_seconds=5.0) as (client, _),
    ):
        yield Bell(client)


async def test_a_payment_rings_the_payers_bell_which_they_read_and_archive(bell: Bell) -> None:
    api = bell.api
    parent = await bell.new_user("parent")
    other = await bell.new_user("parent")
    assert await bell.count(parent) == 0

    first = await bell.pay(parent)
    await bell.count_becomes(parent, 1)
    [note] = await bell.listed(parent)
    assert note["recipient_id"] == parent.id
    assert (note["category"], note["title"]) == ("payment", "Payment processed")
    assert note["link"] == f"/bookings/{first['booking_id']}"
    assert "25.00 GBP" in note["body"]
    assert (note["read_at"], note["archived_at"]) == (None, None)

    second = await bell.pay(parent, "30.00")
    await bell.count_becomes(parent, 2)
    newest, oldest = await bell.listed(parent)
    assert newest["id"] > oldest["id"] == note["id"]
    assert newest["link"] == f"/bookings/{second['booking_id']}"

    # One read: the count falls by one; reading it again changes nothing.
    read = ok(await api.post(f"/notifications/{oldest['id']}/read", headers=parent.headers))
    assert read["id"] == oldest["id"] and read["read_at"] is not None
    again = ok(await api.post(f"/notifications/{oldest['id']}/read", headers=parent.headers))
    assert again["read_at"] == read["read_at"]
    assert await bell.count(parent) == 1
    assert [n["id"] for n in await bell.listed(parent, unread=True)] == [newest["id"]]
    assert [n["id"] for n in await bell.listed(parent, unread=False)] == [oldest["id"]]
    assert await bell.listed(parent, category="child_checklist") == []

    # Read-all up to the newest the client saw: one that arrives meanwhile stays unread.
    third = await bell.pay(parent, "35.00")
    await bell.count_becomes(parent, 2)
    body = {"up_to_id": newest["id"]}
    marked = ok(await api.post("/notifications/read-all", headers=parent.headers, json=body))
    assert marked == {"up_to_id": newest["id"], "marked": 1}
    [unread] = await bell.listed(parent, unread=True)
    assert unread["link"] == f"/bookings/{third['booking_id']}"
    assert await bell.count(parent) == 1
    repeated = ok(await api.post("/notifications/read-all", headers=parent.headers, json=body))
    assert repeated == {"up_to_id": newest["id"], "marked": 0}

    # Archived: out of the list and the count, in the archived list.
    archived = ok(await api.post(f"/notifications/{unread['id']}/archive", headers=parent.headers))
    assert archived["archived_at"] is not None
    assert await bell.count(parent) == 0
    assert unread["id"] not in [n["id"] for n in await bell.listed(parent)]
    assert [n["id"] for n in await bell.listed(parent, archived=True)] == [unread["id"]]
    paged = ok(await api.get("/notifications", headers=parent.headers, params={"limit": 1}))
    assert len(paged["items"]) == 1 and paged["next_cursor"] is not None

    # Someone else's notification is a 404, exactly like none; their bell stays empty.
    for path in (f"/notifications/{newest['id']}/read", f"/notifications/{newest['id']}/archive"):
        refused(await api.post(path, headers=other.headers), 404, "not found")
    refused(await api.post("/notifications/999999/read", headers=parent.headers), 404)
    assert await bell.count(other) == 0 and await bell.listed(other) == []
    marked_other = await api.post("/notifications/read-all", headers=other.headers, json=body)
    assert ok(marked_other)["marked"] == 0


async def test_a_submitted_checklist_rings_the_admins_and_enters_the_feed(bell: Bell) -> None:
    api = bell.api
    admin = await bell.login("admin@cams.test")
    parent = await bell.new_user("parent")
    before = await bell.count(admin)

    child = await bell.child_of(parent)
    path = f"/children/{child['id']}/checklist"
    ok(await api.post(path, headers=parent.headers, json={"answers": {"allergies": "none"}}))

    await bell.count_becomes(admin, before + 1)
    [note] = await bell.listed(admin, category="child_checklist", unread=True)
    assert note["link"] == f"/children/{child['id']}" and "Kit" in note["body"]
    assert await bell.count(parent) == 0, "the parent is not told of their own action"

    async def entries() -> list[dict[str, Any]]:
        query: dict[str, Any] = {"actor_id": parent.id, "object_type": "child"}
        page = ok(await api.get("/activity", headers=admin.headers, params=query))
        return [e for e in page["items"] if e["object"]["id"] == child["id"]]

    feed = await eventually(lambda: _at_least(entries, 2), timeout=15)
    assert feed is not None
    assert {e["actor"]["user_id"] for e in feed} == {parent.id}
    assert all(e["object"]["type"] == "child" for e in feed)
    assert set(feed[0]) == {
        "id",
        "actor",
        "verb",
        "object",
        "target",
        "summary",
        "event_id",
        "occurred_at",
    }
    assert [e["id"] for e in feed] == sorted((e["id"] for e in feed), reverse=True)

    refused(await api.get("/activity", headers=parent.headers), 403)
    trainer = await bell.new_user("trainer")
    refused(await api.get("/activity", headers=trainer.headers), 403)


async def _at_least(read: Any, count: int) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = await read()
    return found if len(found) >= count else None


async def test_preferences_answer_every_pair_and_refuse_turning_off_a_required_one(
    bell: Bell,
) -> None:
    api = bell.api
    parent = await bell.new_user("parent")

    items = ok(await api.get("/notification-preferences", headers=parent.headers))["items"]
    pairs = {(p["category"], p["channel"]): p for p in items}
    assert len(pairs) == len(items) == 10
    assert set(items[0]) == {"category", "channel", "enabled", "required"}
    assert pairs[("payment", "in_app")]["required"] is True
    assert pairs[("payment", "in_app")]["enabled"] is True
    assert pairs[("payment", "web_push")]["required"] is False

    body = {"items": [{"category": "trainer_assigned", "channel": "in_app", "enabled": False}]}
    changed = ok(await api.put("/notification-preferences", headers=parent.headers, json=body))
    after = {(p["category"], p["channel"]): p["enabled"] for p in changed["items"]}
    assert after[("trainer_assigned", "in_app")] is False
    reread = ok(await api.get("/notification-preferences", headers=parent.headers))
    assert reread == changed

    required = {
        "items": [
            {"category": "trainer_assigned", "channel": "in_app", "enabled": True},
            {"category": "payment", "channel": "in_app", "enabled": False},
        ]
    }
    answer = await api.put("/notification-preferences", headers=parent.headers, json=required)
    assert field_locations(answer) == {("body", "items", 1, "enabled")}
    assert "cannot be turned off" in answer.text
    unchanged = ok(await api.get("/notification-preferences", headers=parent.headers))
    assert unchanged == changed, "a refused change changes nothing"


async def test_the_bell_refuses_without_a_token_and_bad_input(bell: Bell) -> None:
    api = bell.api
    parent = await bell.new_user("parent")
    for method, path in (
        ("GET", "/notifications"),
        ("GET", "/notifications/unread-count"),
        ("POST", "/notifications/1/read"),
        ("POST", "/notifications/read-all"),
        ("POST", "/notifications/1/archive"),
        ("GET", "/notification-preferences"),
        ("PUT", "/notification-preferences"),
        ("GET", "/activity"),
    ):
        answer = await api.request(method, path, json={"up_to_id": 1, "items": []})
        refused(answer, 401, "not authenticated")

    h = parent.headers
    read_all = "/notifications/read-all"
    assert field_locations(await api.post(read_all, headers=h, json={})) == {("body", "up_to_id")}
    for bad in ({"up_to_id": -1}, {"up_to_id": "x"}):
        assert field_locations(await api.post(read_all, headers=h, json=bad)) == {
            ("body", "up_to_id")
        }
    prefs = "/notification-preferences"
    for bad_item, field in (
        ({"category": "nope", "channel": "in_app", "enabled": True}, "category"),
        ({"category": "payment", "channel": "sms", "enabled": True}, "channel"),
        ({"category": "payment", "channel": "in_app"}, "enabled"),
    ):
        answer = await api.put(prefs, headers=h, json={"items": [bad_item]})
        assert field_locations(answer) == {("body", "items", 0, field)}
    assert (await api.put(prefs, headers=h, json={})).status_code == 422
    for query in ({"category": "nope"}, {"limit": 0}, {"limit": 201}, {"cursor": "forged"}):
        answer = await api.get("/notifications", headers=h, params=query)
        assert answer.status_code == 422, (query, answer.text)
    refused(await api.post("/notifications/abc/read", headers=h), 422)
    admin = await bell.login("admin@cams.test")
    for query in ({"date_from": "not-a-date"}, {"limit": 0}, {"verb": "v" * 51}):
        answer = await api.get("/activity", headers=admin.headers, params=query)
        assert answer.status_code == 422, (query, answer.text)
