"""Trainer profiles, availability and absence requests through the gateway (docs/rest.md), with
the gateway, bookings and trainers each started by its own bootstrap on one nats-server: who may
do what, each refusal's status and field, and paging."""

from datetime import date, timedelta
from typing import Any

from .conftest import Stack, User, field_locations, ok, refused


def day(offset: int) -> str:
    return (date.today() + timedelta(days=30 + offset)).isoformat()


async def staff(stack: Stack) -> tuple[User, User, User, User, dict[str, Any], dict[str, Any]]:
    """The demo admin, a new parent, two new trainers, and the trainers' profiles."""
    trainer, other = await stack.new_user("trainer"), await stack.new_user("trainer")
    return (
        await stack.login("admin@cams.test"),
        await stack.new_user("parent"),
        trainer,
        other,
        await stack.profile(trainer),
        await stack.profile(other),
    )


async def test_profiles_are_an_admins_and_each_trainers_own(stack: Stack) -> None:
    api = stack.client
    admin, parent, trainer, other, profile, theirs = await staff(stack)
    assert set(profile) == {"id", "user_id", "name", "email", "created_at", "updated_at"}
    assert profile["user_id"] == trainer.id

    everyone = ok(await api.get("/trainers", headers=admin.headers, params={"limit": 200}))
    assert {profile["id"], theirs["id"]} <= {t["id"] for t in everyone["items"]}
    first = ok(await api.get("/trainers", headers=admin.headers, params={"limit": 1}))
    assert first["items"] == [theirs] and first["next_cursor"]
    after = {"limit": 1, "cursor": first["next_cursor"]}
    assert ok(await api.get("/trainers", headers=admin.headers, params=after))["items"] == [profile]
    refused(await api.get("/trainers", headers=admin.headers, params={"cursor": "x"}), 422)
    assert field_locations(await api.get("/trainers", headers=admin.headers, params={"limit": 0}))
    refused(await api.get("/trainers", headers=trainer.headers), 403, "admins")
    refused(await api.get("/trainers", headers=parent.headers), 403)

    for who in (admin, parent):
        refused(await api.get("/trainers/me", headers=who.headers), 403, "trainers")
    path = f"/trainers/{profile['id']}"
    assert ok(await api.get(path, headers=trainer.headers)) == profile
    assert ok(await api.get(path, headers=admin.headers)) == profile
    refused(await api.get(path, headers=other.headers), 404, "not found")
    refused(await api.get(path, headers=parent.headers), 403, "parents")
    refused(await api.get("/trainers/999999", headers=admin.headers), 404)
    assert field_locations(await api.get("/trainers/nobody", headers=admin.headers)) == {
        ("path", "trainer_id")
    }


async def test_availability_is_replaced_whole_by_its_trainer_or_an_admin(stack: Stack) -> None:
    api = stack.client
    admin, parent, trainer, other, profile, _ = await staff(stack)
    path = f"/trainers/{profile['id']}/availability"

    replaced = ok(
        await api.put(path, headers=trainer.headers, json={"dates": [day(2), day(0), day(2)]})
    )
    assert replaced == {"trainer_id": profile["id"], "dates": [day(0), day(2)]}
    assert ok(await api.get(path, headers=admin.headers)) == replaced
    window = {"date_from": day(1), "date_to": day(5)}
    assert ok(await api.get(path, headers=trainer.headers, params=window))["dates"] == [day(2)]
    by_admin = ok(await api.put(path, headers=admin.headers, json={"dates": [day(1)]}))
    assert by_admin["dates"] == [day(1)]
    assert ok(await api.put(path, headers=trainer.headers, json={"dates": []}))["dates"] == []

    refused(await api.put(path, headers=other.headers, json={"dates": [day(0)]}), 404)
    refused(await api.get(path, headers=other.headers), 404)
    refused(await api.get(path, headers=parent.headers), 403)
    refused(await api.put(path, headers=parent.headers, json={"dates": []}), 403)
    for body, where in (
        ({"dates": ["2030-02-30"]}, ("body", "dates", 0)),
        ({"dates": day(0)}, ("body", "dates")),
        ({}, ("body", "dates")),
    ):
        answer = await api.put(path, headers=trainer.headers, json=body)
        assert where in field_locations(answer), (body, answer.text)
    backwards = {"date_from": day(3), "date_to": day(1)}
    answer = await api.get(path, headers=trainer.headers, params=backwards)
    assert field_locations(answer) == {("query", "date_to")}
    answer = await api.get(path, headers=trainer.headers, params={"date_from": "soon"})
    assert field_locations(answer) == {("query", "date_from")}


async def test_absence_requests_asked_decided_and_withdrawn(stack: Stack) -> None:
    api = stack.client
    admin, parent, trainer, other, profile, theirs = await staff(stack)
    asks = f"/trainers/{profile['id']}/absence-requests"
    away = {"start_date": day(0), "end_date": day(1), "reason": "Course"}

    asked = ok(await api.post(asks, headers=trainer.headers, json=away), 201)
    assert asked["status"] == "pending" and asked["trainer_id"] == profile["id"]
    assert asked["trainer_user_id"] == trainer.id and asked["decided_by"] is None
    refused(await api.post(asks, headers=other.headers, json=away), 404)
    refused(await api.post(asks, headers=parent.headers, json=away), 403)
    for_them = ok(
        await api.post(
            f"/trainers/{theirs['id']}/absence-requests", headers=admin.headers, json=away
        ),
        201,
    )
    for body, where in (
        ({**away, "end_date": day(-1)}, ("body", "end_date")),
        ({**away, "start_date": "2030-02-30"}, ("body", "start_date")),
        ({**away, "reason": ""}, ("body", "reason")),
        ({**away, "reason": "r" * 501}, ("body", "reason")),
    ):
        answer = await api.post(asks, headers=trainer.headers, json=body)
        assert where in field_locations(answer), (body, answer.text)

    path = f"/absence-requests/{asked['id']}"
    assert ok(await api.get(path, headers=trainer.headers)) == asked
    assert ok(await api.get(path, headers=admin.headers)) == asked
    refused(await api.get(path, headers=other.headers), 404)
    refused(await api.get(path, headers=parent.headers), 403)

    approve = {"status": "approved"}
    refused(await api.patch(path, headers=trainer.headers, json=approve), 403, "admins")
    for body in ({"status": "pending"}, {"status": "maybe"}, {}):
        answer = await api.patch(path, headers=admin.headers, json=body)
        assert field_locations(answer) == {("body", "status")}, (body, answer.text)
    decided = ok(await api.patch(path, headers=admin.headers, json=approve))
    assert decided["status"] == "approved" and decided["decided_by"] == admin.id
    reject = {"status": "rejected"}
    refused(await api.patch(path, headers=admin.headers, json=reject), 409, "already approved")
    refused(await api.delete(path, headers=trainer.headers), 409, "already approved")

    pending = ok(await api.post(asks, headers=trainer.headers, json=away), 201)
    refused(await api.delete(f"/absence-requests/{pending['id']}", headers=other.headers), 404)
    withdrawn = await api.delete(f"/absence-requests/{pending['id']}", headers=trainer.headers)
    assert ok(withdrawn) == {"id": pending["id"]}
    refused(await api.get(f"/absence-requests/{pending['id']}", headers=trainer.headers), 404)

    mine = ok(await api.get(asks, headers=trainer.headers))
    assert [a["id"] for a in mine["items"]] == [asked["id"]]
    # Another trainer's requests do not exist for a trainer, like any resource not theirs.
    named = await api.get(f"/trainers/{profile['id']}/absence-requests", headers=other.headers)
    refused(named, 404)
    assert [
        a["id"] for a in ok(await api.get("/absence-requests", headers=other.headers))["items"]
    ] == [for_them["id"]]
    refused(await api.get(asks, headers=parent.headers), 403)


async def test_absence_request_lists_filter_and_page(stack: Stack) -> None:
    api = stack.client
    admin, parent, trainer, other, profile, theirs = await staff(stack)
    made = []
    for offset in range(3):
        away = {"start_date": day(offset), "end_date": day(offset), "reason": f"Day {offset}"}
        path = f"/trainers/{profile['id']}/absence-requests"
        made.append(ok(await api.post(path, headers=trainer.headers, json=away), 201)["id"])
    elsewhere = {"start_date": day(9), "end_date": day(9), "reason": "Other"}
    path = f"/trainers/{theirs['id']}/absence-requests"
    their_request = ok(await api.post(path, headers=other.headers, json=elsewhere), 201)["id"]
    decision = {"status": "rejected"}
    ok(await api.patch(f"/absence-requests/{made[0]}", headers=admin.headers, json=decision))

    async def ids(who: User, path: str = "/absence-requests", **query: Any) -> list[int]:
        return [
            a["id"] for a in ok(await api.get(path, headers=who.headers, params=query))["items"]
        ]

    assert (await ids(admin, trainer_id=profile["id"])) == made[::-1]
    assert their_request in await ids(admin)
    assert await ids(trainer) == made[::-1]
    naming_another = {"trainer_id": theirs["id"]}
    refused(await api.get("/absence-requests", headers=trainer.headers, params=naming_another), 404)
    assert await ids(admin, trainer_id=profile["id"], status="rejected") == [made[0]]
    assert (
        await ids(admin, f"/trainers/{profile['id']}/absence-requests", status="pending")
        == (made[:0:-1])
    )
    first = ok(await api.get("/absence-requests", headers=trainer.headers, params={"limit": 2}))
    assert [a["id"] for a in first["items"]] == made[:0:-1] and first["next_cursor"]
    after = {"limit": 2, "cursor": first["next_cursor"]}
    rest = ok(await api.get("/absence-requests", headers=trainer.headers, params=after))
    assert [a["id"] for a in rest["items"]] == [made[0]] and rest["next_cursor"] is None

    refused(await api.get("/absence-requests", headers=parent.headers), 403)
    for query, where in (
        ({"status": "maybe"}, ("query", "status")),
        ({"trainer_id": "x"}, ("query", "trainer_id")),
        ({"limit": 0}, ("query", "limit")),
    ):
        answer = await api.get("/absence-requests", headers=admin.headers, params=query)
        assert where in field_locations(answer), (query, answer.text)
    refused(await api.get("/absence-requests", headers=admin.headers, params={"cursor": "x"}), 422)
