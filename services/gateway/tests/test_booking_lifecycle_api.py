"""The booking lifecycle through the gateway (docs/rest.md): bookings, sessions, assignment,
payments and an admin's day cancel, with the gateway, bookings and trainers each started by its
own bootstrap on one nats-server; who may do what, and each refusal's status and field."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from .conftest import DECLINED, Stack, User, field_locations, ok, refused

KIT = {"name": "Kit", "date_of_birth": "2017-06-01"}


def day(offset: int) -> str:
    """A date `offset` days from today, far from the demo data's fortnight."""
    return (date.today() + timedelta(days=30 + offset)).isoformat()


def slot(on: str, start: str = "09:00", end: str = "10:00", where: str = "Hall") -> dict[str, str]:
    return {"date": on, "start_time": start, "end_time": end, "location": where}


@dataclass
class World:
    """Fresh accounts, so the demo data stays out of the way: a parent with a child and a
    booking, another parent, a trainer (with their profile) and the demo admin."""

    api: httpx.AsyncClient
    admin: User
    parent: User
    other: User
    trainer: User
    profile: dict[str, Any]
    child: dict[str, Any]
    booking: dict[str, Any]

    async def session(self, on: str, start: str = "09:00", end: str = "10:00") -> dict[str, Any]:
        path = f"/bookings/{self.booking['id']}/schedules"
        answer = await self.api.post(path, headers=self.parent.headers, json=slot(on, start, end))
        made: dict[str, Any] = ok(answer, 201)
        return made


async def world(stack: Stack) -> World:
    api = stack.client
    parent = await stack.new_user("parent")
    trainer = await stack.new_user("trainer")
    child = ok(await api.post("/children", headers=parent.headers, json=KIT), 201)
    booking = ok(
        await api.post("/bookings", headers=parent.headers, json={"child_id": child["id"]}), 201
    )
    return World(
        api,
        await stack.login("admin@cams.test"),
        parent,
        await stack.new_user("parent"),
        trainer,
        await stack.profile(trainer),
        child,
        booking,
    )


async def test_without_a_token_every_new_endpoint_is_401(stack: Stack) -> None:
    api = stack.client
    for method, path in (
        ("GET", "/bookings"),
        ("POST", "/bookings"),
        ("PATCH", "/bookings/1"),
        ("DELETE", "/bookings/1"),
        ("POST", "/bookings/1/schedules"),
        ("GET", "/bookings/1/payments"),
        ("POST", "/bookings/1/payments"),
        ("GET", "/schedules?trainer=me"),
        ("POST", "/schedules/1/trainer"),
        ("GET", "/trainers"),
        ("GET", "/trainers/me"),
        ("PUT", "/trainers/1/availability"),
        ("POST", "/trainers/1/absence-requests"),
        ("GET", "/absence-requests"),
        ("PATCH", "/absence-requests/1"),
        ("POST", "/admin/schedules/cancel"),
    ):
        answer = await api.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"


async def test_bookings_are_the_parents_own_and_every_ones_for_an_admin(stack: Stack) -> None:
    w = await world(stack)
    api, booking = w.api, w.booking
    assert set(booking) == {"id", "child_id", "parent_id", "status", "notes"} | {
        "created_at",
        "updated_at",
    }
    assert booking["parent_id"] == w.parent.id and booking["status"] == "active"
    path = f"/bookings/{booking['id']}"

    for who in (w.other, w.trainer):
        refused(await api.get(path, headers=who.headers), 404, "not found")
        refused(await api.patch(path, headers=who.headers, json={"notes": "x"}), 404)
        refused(await api.delete(path, headers=who.headers), 404)
        body = {"child_id": w.child["id"]}
        refused(await api.post("/bookings", headers=who.headers, json=body), 404)
    assert ok(await api.get("/bookings", headers=w.other.headers))["items"] == []
    refused(await api.get("/bookings", headers=w.trainer.headers), 403, "only parents and admins")

    by_admin = ok(
        await api.post(
            "/bookings", headers=w.admin.headers, json={"child_id": w.child["id"], "notes": "A"}
        ),
        201,
    )
    assert by_admin["parent_id"] == w.parent.id and by_admin["notes"] == "A"
    assert ok(await api.get(path, headers=w.admin.headers)) == booking
    theirs = ok(
        await api.get("/bookings", headers=w.admin.headers, params={"parent_id": w.parent.id})
    )
    assert [b["id"] for b in theirs["items"]] == [by_admin["id"], booking["id"]]

    noted = ok(await api.patch(path, headers=w.parent.headers, json={"notes": "Bring water"}))
    assert noted["notes"] == "Bring water" and noted["status"] == "active"
    cancelled = ok(await api.patch(path, headers=w.parent.headers, json={"status": "cancelled"}))
    assert cancelled["status"] == "cancelled" and cancelled["notes"] == "Bring water"
    refused(await api.patch(path, headers=w.parent.headers, json={"notes": "y"}), 409, "cancelled")
    only = ok(await api.get("/bookings", headers=w.parent.headers, params={"status": "cancelled"}))
    assert [b["id"] for b in only["items"]] == [booking["id"]]

    assert ok(await api.delete(path, headers=w.parent.headers)) == {"id": booking["id"]}
    refused(await api.get(path, headers=w.parent.headers), 404)


async def test_bad_booking_bodies_and_queries_are_422_on_their_fields(stack: Stack) -> None:
    w = await world(stack)
    api, path = w.api, f"/bookings/{w.booking['id']}"
    for body, where in (
        ({}, ("body", "child_id")),
        ({"child_id": "one"}, ("body", "child_id")),
        ({"child_id": w.child["id"], "notes": "n" * 2001}, ("body", "notes")),
    ):
        assert where in field_locations(
            await api.post("/bookings", headers=w.parent.headers, json=body)
        )
    for body, where in (
        ({"status": "paused"}, ("body", "status")),
        ({"notes": "n" * 2001}, ("body", "notes")),
    ):
        assert where in field_locations(await api.patch(path, headers=w.parent.headers, json=body))
    for query, where in (
        ({"status": "paused"}, ("query", "status")),
        ({"limit": 0}, ("query", "limit")),
        ({"limit": 201}, ("query", "limit")),
        ({"child_id": "x"}, ("query", "child_id")),
    ):
        answer = await api.get("/bookings", headers=w.parent.headers, params=query)
        assert where in field_locations(answer)
    forged = await api.get("/bookings", headers=w.parent.headers, params={"cursor": "forged"})
    refused(forged, 422, "cursor")


async def test_sessions_of_a_booking_by_role(stack: Stack) -> None:
    w = await world(stack)
    api, sessions = w.api, f"/bookings/{w.booking['id']}/schedules"
    session = await w.session(day(0))
    assert session["booking_id"] == w.booking["id"] and session["child_name"] == "Kit"
    assert session["status"] == "scheduled" and session["trainer_id"] is None
    assert session["start_time"].startswith("09:00") and session["date"] == day(0)
    path = f"/schedules/{session['id']}"

    for who in (w.other, w.trainer):
        refused(await api.post(sessions, headers=who.headers, json=slot(day(1))), 404)
        refused(await api.get(path, headers=who.headers), 404)
        refused(await api.patch(path, headers=who.headers, json={"location": "Gym"}), 404)
        refused(await api.delete(path, headers=who.headers), 404)
    # Another parent's booking does not exist for them; a trainer sees only their own sessions.
    refused(await api.get(sessions, headers=w.other.headers), 404)
    assert ok(await api.get(sessions, headers=w.trainer.headers))["items"] == []
    by_admin = ok(await api.post(sessions, headers=w.admin.headers, json=slot(day(1))), 201)
    listed = ok(await api.get(sessions, headers=w.parent.headers))
    assert [s["id"] for s in listed["items"]] == [by_admin["id"], session["id"]]

    moved = ok(await api.patch(path, headers=w.parent.headers, json={"location": "Gym"}))
    assert moved["location"] == "Gym" and moved["start_time"] == session["start_time"]
    completed = {"status": "completed"}
    refused(await api.patch(path, headers=w.parent.headers, json=completed), 403, "completed")
    assert ok(await api.patch(path, headers=w.admin.headers, json=completed))["status"] == (
        "completed"
    )
    refused(await api.patch(path, headers=w.parent.headers, json={"location": "X"}), 409)
    assert ok(await api.delete(f"/schedules/{by_admin['id']}", headers=w.parent.headers)) == {
        "id": by_admin["id"]
    }
    refused(await api.get(f"/schedules/{by_admin['id']}", headers=w.admin.headers), 404)


async def test_bad_session_bodies_are_422_on_their_fields(stack: Stack) -> None:
    w = await world(stack)
    api, sessions = w.api, f"/bookings/{w.booking['id']}/schedules"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    for body, where in (
        (slot(day(0), "10:00", "09:00"), ("body", "end_time")),
        (slot(day(0), "10:00", "10:00"), ("body", "end_time")),
        (slot("2030-02-30"), ("body", "date")),
        (slot(yesterday), ("body", "date")),
        (slot(day(0), "25:00"), ("body", "start_time")),
        (slot(day(0), where=""), ("body", "location")),
        ({"date": day(0)}, ("body", "start_time")),
    ):
        answer = await api.post(sessions, headers=w.parent.headers, json=body)
        assert where in field_locations(answer), (body, answer.text)
    path = f"/schedules/{(await w.session(day(0)))['id']}"
    for body, where in (
        ({"start_time": "11:00"}, ("body", "end_time")),  # after the stored end
        ({"start_time": "11:00", "end_time": "10:30"}, ("body", "end_time")),
        ({"status": "paused"}, ("body", "status")),
        ({"date": "tomorrow"}, ("body", "date")),
    ):
        answer = await api.patch(path, headers=w.parent.headers, json=body)
        assert where in field_locations(answer), (body, answer.text)
    assert ok(await api.get(path, headers=w.parent.headers))["start_time"].startswith("09:00")


async def test_only_an_admin_assigns_and_the_assigned_trainer_reads(stack: Stack) -> None:
    w = await world(stack)
    api, trainer_id = w.api, w.profile["id"]
    ok(
        await api.put(
            f"/trainers/{trainer_id}/availability",
            headers=w.trainer.headers,
            json={"dates": [day(0)]},
        )
    )
    session = await w.session(day(0))
    path, assign = f"/schedules/{session['id']}", f"/schedules/{session['id']}/trainer"
    body = {"trainer_id": trainer_id}

    refused(await api.post(assign, headers=w.parent.headers, json=body), 403, "admin")
    refused(await api.post(assign, headers=w.other.headers, json=body), 404)
    refused(await api.post(assign, headers=w.trainer.headers, json=body), 404)
    assigned = ok(await api.post(assign, headers=w.admin.headers, json=body))
    assert assigned["trainer_id"] == trainer_id
    assert assigned["trainer_user_id"] == w.trainer.id
    assert assigned["trainer_name"] == w.profile["name"]
    again = ok(await api.post(assign, headers=w.admin.headers, json=body))
    assert again["trainer_id"] == trainer_id

    assert ok(await api.get(path, headers=w.trainer.headers))["id"] == session["id"]
    refused(await api.patch(path, headers=w.trainer.headers, json={"location": "Gym"}), 403)
    mine = ok(await api.get("/schedules", headers=w.trainer.headers, params={"trainer": "me"}))
    assert [s["id"] for s in mine["items"]] == [session["id"]]
    assert ok(await api.get("/schedules", headers=w.trainer.headers)) == mine
    by_id = {"trainer": str(trainer_id)}
    assert ok(await api.get("/schedules", headers=w.admin.headers, params=by_id)) == mine

    other_trainer = await stack.new_user("trainer")
    refused(await api.get(path, headers=other_trainer.headers), 404)
    theirs = await api.get("/schedules", headers=other_trainer.headers, params={"trainer": "me"})
    assert ok(theirs)["items"] == []
    for who, trainer in ((w.parent, "me"), (w.admin, "me"), (w.admin, "someone")):
        answer = await api.get("/schedules", headers=who.headers, params={"trainer": trainer})
        assert field_locations(answer) == {("query", "trainer")}


async def test_an_assignment_that_clashes_is_409_saying_why(stack: Stack) -> None:
    w = await world(stack)
    api, trainer_id = w.api, w.profile["id"]
    available, unavailable, away = day(0), day(1), day(2)
    ok(
        await api.put(
            f"/trainers/{trainer_id}/availability",
            headers=w.trainer.headers,
            json={"dates": [available, away]},
        )
    )
    absence = ok(
        await api.post(
            f"/trainers/{trainer_id}/absence-requests",
            headers=w.trainer.headers,
            json={"start_date": away, "end_date": away, "reason": "Course"},
        ),
        201,
    )
    decision = {"status": "approved"}
    ok(
        await api.patch(
            f"/absence-requests/{absence['id']}", headers=w.admin.headers, json=decision
        )
    )
    first = await w.session(available)
    overlapping = await w.session(available, "09:30", "10:30")
    on_absence = await w.session(away)
    not_available = await w.session(unavailable)
    cancelled = await w.session(available, "12:00", "13:00")
    ok(
        await api.patch(
            f"/schedules/{cancelled['id']}", headers=w.parent.headers, json={"status": "cancelled"}
        )
    )
    body = {"trainer_id": trainer_id}
    ok(await api.post(f"/schedules/{first['id']}/trainer", headers=w.admin.headers, json=body))

    for session, trainer, says in (
        (overlapping, trainer_id, "already has session"),
        (on_absence, trainer_id, "absence"),
        (not_available, trainer_id, "not available"),
        (not_available, 999_999, "999999"),
        (cancelled, trainer_id, "cancelled"),
    ):
        answer = await api.post(
            f"/schedules/{session['id']}/trainer",
            headers=w.admin.headers,
            json={"trainer_id": trainer},
        )
        refused(answer, 409, says)
    bad = await api.post(
        f"/schedules/{first['id']}/trainer", headers=w.admin.headers, json={"trainer_id": "x"}
    )
    assert field_locations(bad) == {("body", "trainer_id")}

    listed = ok(await api.get(f"/bookings/{w.booking['id']}/schedules", headers=w.admin.headers))
    assert {s["id"]: s["trainer_id"] for s in listed["items"]} == {
        first["id"]: trainer_id,
        overlapping["id"]: None,
        on_absence["id"]: None,
        not_available["id"]: None,
        cancelled["id"]: None,
    }


async def test_an_assignment_while_trainers_is_away_is_503_and_changes_nothing(
    stack: Stack,
) -> None:
    w = await world(stack)
    api, trainer_id = w.api, w.profile["id"]
    ok(
        await api.put(
            f"/trainers/{trainer_id}/availability",
            headers=w.trainer.headers,
            json={"dates": [day(0)]},
        )
    )
    session = await w.session(day(0))
    await stack.trainers.stop()

    answer = await api.post(
        f"/schedules/{session['id']}/trainer",
        headers=w.admin.headers,
        json={"trainer_id": trainer_id},
    )
    refused(answer, 503, "trainers")
    # One session reads with its activity, which needs trainers; the list needs only bookings.
    refused(await api.get(f"/schedules/{session['id']}", headers=w.admin.headers), 503, "trainers")
    listed = ok(await api.get(f"/bookings/{w.booking['id']}/schedules", headers=w.admin.headers))
    assert listed["items"] == [session]


async def test_payments_by_the_parent_and_their_refusals(stack: Stack) -> None:
    w = await world(stack)
    api, payments = w.api, f"/bookings/{w.booking['id']}/payments"

    paid = ok(
        await api.post(
            payments, headers=w.parent.headers, json={"amount": 25.5, "currency": "GBP"}
        ),
        201,
    )
    assert paid["status"] == "processed" and paid["reference"]
    assert paid["amount"] == "25.50" and paid["payer_id"] == w.parent.id
    yen = ok(
        await api.post(
            payments, headers=w.parent.headers, json={"amount": "1000", "currency": "JPY"}
        ),
        201,
    )
    assert yen["amount"] == "1000"
    declined = {"amount": str(DECLINED), "currency": "GBP"}
    refused(await api.post(payments, headers=w.parent.headers, json=declined), 402, "declined")

    for body, where in (
        ({"amount": 0, "currency": "GBP"}, ("body", "amount")),
        ({"amount": "-5", "currency": "GBP"}, ("body", "amount")),
        ({"amount": "ten", "currency": "GBP"}, ("body", "amount")),
        ({"amount": "10.001", "currency": "GBP"}, ("body", "amount")),
        ({"amount": "10.5", "currency": "JPY"}, ("body", "amount")),
        ({"amount": "10", "currency": "gbp"}, ("body", "currency")),
        ({"amount": "10", "currency": "XQQ"}, ("body", "currency")),
        ({"amount": "10"}, ("body", "currency")),
    ):
        answer = await api.post(payments, headers=w.parent.headers, json=body)
        assert where in field_locations(answer), (body, answer.text)
    for who, status in ((w.other, 404), (w.trainer, 404), (w.admin, 403)):
        body = {"amount": "10", "currency": "GBP"}
        refused(await api.post(payments, headers=who.headers, json=body), status)

    listed = ok(await api.get(payments, headers=w.parent.headers))
    assert [(p["status"], p["amount"]) for p in listed["items"]] == [
        ("failed", "13.13"),
        ("processed", "1000"),
        ("processed", "25.50"),
    ]
    assert listed["items"][0]["failure_reason"]
    assert ok(await api.get(payments, headers=w.admin.headers)) == listed
    refused(await api.get(payments, headers=w.other.headers), 404)
    first = ok(await api.get(payments, headers=w.parent.headers, params={"limit": 2}))
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = ok(
        await api.get(
            payments, headers=w.parent.headers, params={"limit": 2, "cursor": first["next_cursor"]}
        )
    )
    assert rest["items"] == listed["items"][2:] and rest["next_cursor"] is None

    booking = f"/bookings/{w.booking['id']}"
    refused(await api.delete(booking, headers=w.parent.headers), 409, "processed payment")
    ok(await api.patch(booking, headers=w.parent.headers, json={"status": "cancelled"}))
    body = {"amount": "10", "currency": "GBP"}
    refused(await api.post(payments, headers=w.parent.headers, json=body), 409, "cancelled")


async def test_an_admin_cancels_a_days_sessions_at_once(stack: Stack) -> None:
    w = await world(stack)
    api, cancel = w.api, "/admin/schedules/cancel"
    on = day(5)
    sessions = f"/bookings/{w.booking['id']}/schedules"
    hall = await w.session(on)
    pool = ok(await api.post(sessions, headers=w.parent.headers, json=slot(on, where="Pool")), 201)
    later = await w.session(day(6))

    for who in (w.parent, w.trainer):
        refused(await api.post(cancel, headers=who.headers, json={"date": on}), 403, "admin")
    for body, where in (
        ({}, ("body", "date")),
        ({"date": "2030-02-30"}, ("body", "date")),
        ({"date": on, "location": ""}, ("body", "location")),
    ):
        assert where in field_locations(await api.post(cancel, headers=w.admin.headers, json=body))

    at_pool = ok(
        await api.post(cancel, headers=w.admin.headers, json={"date": on, "location": "Pool"})
    )
    assert at_pool == {"date": on, "location": "Pool", "schedule_ids": [pool["id"]]}
    rest = ok(await api.post(cancel, headers=w.admin.headers, json={"date": on}))
    assert rest == {"date": on, "location": None, "schedule_ids": [hall["id"]]}
    again = ok(await api.post(cancel, headers=w.admin.headers, json={"date": on}))
    assert again["schedule_ids"] == []
    statuses = ok(await api.get(sessions, headers=w.parent.headers))["items"]
    assert {s["id"]: s["status"] for s in statuses} == {
        hall["id"]: "cancelled",
        pool["id"]: "cancelled",
        later["id"]: "scheduled",
    }


async def test_session_lists_page_and_filter(stack: Stack) -> None:
    w = await world(stack)
    api = w.api
    other_child = ok(
        await api.post("/children", headers=w.parent.headers, json={**KIT, "name": "Lou"}), 201
    )
    other_booking = ok(
        await api.post("/bookings", headers=w.parent.headers, json={"child_id": other_child["id"]}),
        201,
    )
    early = await w.session(day(0))
    middle = await w.session(day(1))
    late = await w.session(day(2))
    ok(
        await api.patch(
            f"/schedules/{late['id']}", headers=w.parent.headers, json={"status": "cancelled"}
        )
    )
    lou = ok(
        await api.post(
            f"/bookings/{other_booking['id']}/schedules",
            headers=w.parent.headers,
            json=slot(day(1)),
        ),
        201,
    )

    async def ids(**query: Any) -> list[int]:
        page = ok(await api.get("/schedules", headers=w.parent.headers, params=query))
        return [s["id"] for s in page["items"]]

    assert await ids() == [lou["id"], late["id"], middle["id"], early["id"]]
    assert await ids(date=day(1)) == [lou["id"], middle["id"]]
    assert await ids(date_from=day(1), date_to=day(2)) == [lou["id"], late["id"], middle["id"]]
    assert await ids(status="cancelled") == [late["id"]]
    assert await ids(child_id=other_child["id"]) == [lou["id"]]
    assert await ids(booking_id=w.booking["id"], date_to=day(1)) == [middle["id"], early["id"]]
    assert await ids(trainer=w.profile["id"]) == []

    first = ok(await api.get("/schedules", headers=w.parent.headers, params={"limit": 3}))
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = ok(
        await api.get(
            "/schedules",
            headers=w.parent.headers,
            params={"limit": 3, "cursor": first["next_cursor"]},
        )
    )
    assert [s["id"] for s in second["items"]] == [early["id"]] and second["next_cursor"] is None
    # Another parent's filters never reach this parent's sessions.
    theirs = await api.get(
        "/schedules", headers=w.other.headers, params={"child_id": lou["child_id"]}
    )
    assert ok(theirs)["items"] == []

    for query, where in (
        ({"date": day(1), "date_from": day(0)}, ("query", "date")),
        ({"date": "soon"}, ("query", "date")),
        ({"status": "paused"}, ("query", "status")),
        ({"limit": 500}, ("query", "limit")),
    ):
        answer = await api.get("/schedules", headers=w.parent.headers, params=query)
        assert where in field_locations(answer), (query, answer.text)
    refused(await api.get("/schedules", headers=w.parent.headers, params={"cursor": "x"}), 422)


async def test_bookings_page_newest_first(stack: Stack) -> None:
    w = await world(stack)
    api = w.api
    made = [w.booking["id"]]
    for _ in range(2):
        body = {"child_id": w.child["id"]}
        made.append(ok(await api.post("/bookings", headers=w.parent.headers, json=body), 201)["id"])
    first = ok(await api.get("/bookings", headers=w.parent.headers, params={"limit": 2}))
    assert [b["id"] for b in first["items"]] == made[:0:-1] and first["next_cursor"]
    rest = ok(
        await api.get(
            "/bookings",
            headers=w.parent.headers,
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    )
    assert [b["id"] for b in rest["items"]] == [made[0]] and rest["next_cursor"] is None
    by_child = ok(
        await api.get("/bookings", headers=w.admin.headers, params={"child_id": w.child["id"]})
    )
    assert [b["id"] for b in by_child["items"]] == made[::-1]
