"""The trainer's day through the gateway (docs/rest.md): clock-in, clock-out, current activity,
activity logs, the session read with its activity and the admin's `GET /admin/today`, with the
gateway, bookings and trainers each started by its own bootstrap on one nats-server; who may do
what, each refusal's status and field, and a stopped service."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from gateway.business_day import today_in, zone_of

from .conftest import (
    BUSINESS_TIME_ZONE,
    Stack,
    User,
    field_locations,
    ok,
    refused,
    running_bookings,
    running_trainers,
)

KIT = {"name": "Kit", "date_of_birth": "2017-06-01"}


def on(offset: int = 0) -> str:
    """The business day `offset` days from today (asked each time: a run may cross midnight)."""
    return (today_in(zone_of(BUSINESS_TIME_ZONE)) + timedelta(days=offset)).isoformat()


@dataclass
class Day:
    """Fresh accounts: a parent with a child and a booking, another parent, the trainer the
    sessions are given to (available today and tomorrow), another trainer, the demo admin."""

    api: httpx.AsyncClient
    admin: User
    parent: User
    other_parent: User
    trainer: User
    other_trainer: User
    profile: dict[str, Any]
    child: dict[str, Any]
    booking: dict[str, Any]

    async def session(
        self, start: str = "09:00", end: str = "10:00", offset: int = 0, assigned: bool = True
    ) -> dict[str, Any]:
        """A session of the business day `offset`, given to the trainer unless not `assigned`."""
        body = {"date": on(offset), "start_time": start, "end_time": end, "location": "Hall"}
        path = f"/bookings/{self.booking['id']}/schedules"
        made: dict[str, Any] = ok(
            await self.api.post(path, headers=self.parent.headers, json=body), 201
        )
        if not assigned:
            return made
        given: dict[str, Any] = ok(
            await self.api.post(
                f"/schedules/{made['id']}/trainer",
                headers=self.admin.headers,
                json={"trainer_id": self.profile["id"]},
            )
        )
        return given

    async def post(self, who: User, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.api.post(path, headers={**who.headers, **headers}, json=body)


async def a_day(stack: Stack) -> Day:
    api = stack.client
    parent = await stack.new_user("parent")
    trainer = await stack.new_user("trainer")
    profile = await stack.profile(trainer)
    ok(
        await api.put(
            f"/trainers/{profile['id']}/availability",
            headers=trainer.headers,
            json={"dates": [on(0), on(1)]},
        )
    )
    child = ok(await api.post("/children", headers=parent.headers, json=KIT), 201)
    booking = ok(
        await api.post("/bookings", headers=parent.headers, json={"child_id": child["id"]}), 201
    )
    return Day(
        api,
        await stack.login("admin@cams.test"),
        parent,
        await stack.new_user("parent"),
        trainer,
        await stack.new_user("trainer"),
        profile,
        child,
        booking,
    )


def utc(stamp: str | None) -> bool:
    """An ISO 8601 timestamp in UTC, as every timestamp reads (docs/rest.md)."""
    return stamp is not None and (stamp.endswith("Z") or stamp.endswith("+00:00"))


async def test_without_a_token_every_new_endpoint_is_401(stack: Stack) -> None:
    for method, path in (
        ("POST", "/schedules/1/clock-in"),
        ("POST", "/schedules/1/clock-out"),
        ("PUT", "/schedules/1/current-activity"),
        ("GET", "/schedules/1/activity-logs"),
        ("POST", "/schedules/1/activity-logs"),
        ("PATCH", "/activity-logs/1"),
        ("GET", "/admin/today"),
    ):
        answer = await stack.client.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.text)


async def test_the_assigned_trainer_keeps_the_sessions_time(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session()
    path = f"/schedules/{session['id']}"

    clocked = ok(await d.post(d.trainer, f"{path}/clock-in", {"location": "Gate"}))
    assert clocked["schedule_id"] == session["id"]
    assert clocked["trainer_id"] == d.profile["id"]
    assert utc(clocked["clocked_in_at"]) and clocked["clock_in_location"] == "Gate"
    assert clocked["clocked_out_at"] is None and clocked["current_activity"] is None

    doing = ok(
        await d.api.put(
            f"{path}/current-activity",
            headers=d.trainer.headers,
            json={"activity": "Passing drills", "location": "North field"},
        )
    )
    current = doing["current_activity"]
    assert (current["activity"], current["location"]) == ("Passing drills", "North field")
    assert utc(current["at"]) and doing["clocked_in_at"] == clocked["clocked_in_at"]
    vaguer = ok(
        await d.api.put(
            f"{path}/current-activity", headers=d.trainer.headers, json={"activity": "Games"}
        )
    )
    assert vaguer["current_activity"]["activity"] == "Games"
    assert vaguer["current_activity"]["location"] is None

    log = ok(
        await d.post(d.trainer, f"{path}/activity-logs", {"activity": "Drills", "notes": "Good"}),
        201,
    )
    assert (log["schedule_id"], log["activity"], log["notes"]) == (session["id"], "Drills", "Good")
    changed = ok(
        await d.api.patch(
            f"/activity-logs/{log['id']}", headers=d.trainer.headers, json={"notes": "Better"}
        )
    )
    assert (changed["activity"], changed["notes"]) == ("Drills", "Better")

    # The session reads whole for everyone who may see it: one resource to refetch.
    for who in (d.parent, d.trainer, d.admin):
        seen = ok(await d.api.get(path, headers=who.headers))
        assert {k: seen[k] for k in session} == session
        assert seen["clocked_in_at"] == clocked["clocked_in_at"]
        assert seen["clocked_out_at"] is None
        assert seen["current_activity"] == vaguer["current_activity"]
        assert [(e["id"], e["notes"]) for e in seen["activity_logs"]] == [(log["id"], "Better")]

    out = ok(await d.post(d.trainer, f"{path}/clock-out", {"location": "Car park"}))
    assert utc(out["clocked_out_at"]) and out["clock_out_location"] == "Car park"
    assert out["clocked_in_at"] == clocked["clocked_in_at"]
    seen = ok(await d.api.get(path, headers=d.parent.headers))
    assert seen["clocked_out_at"] == out["clocked_out_at"]


async def test_a_session_without_activity_reads_with_empty_activity(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session(assigned=False)
    seen = ok(await d.api.get(f"/schedules/{session['id']}", headers=d.parent.headers))
    assert {k: seen[k] for k in session} == session
    assert seen["clocked_in_at"] is None and seen["clocked_out_at"] is None
    assert seen["current_activity"] is None and seen["activity_logs"] == []


async def test_time_is_kept_in_order_and_only_by_the_assigned_trainer(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session()
    path = f"/schedules/{session['id']}"
    activity = {"activity": "Warm-up"}

    # Someone who may not see the session learns nothing of it; a parent who may is refused.
    for who, status in ((d.other_trainer, 404), (d.other_parent, 404), (d.parent, 403)):
        refused(await d.post(who, f"{path}/clock-in", {}), status)
        refused(await d.post(who, f"{path}/clock-out", {}), status)
        answer = await d.api.put(f"{path}/current-activity", headers=who.headers, json=activity)
        refused(answer, status)
    refused(await d.post(d.trainer, "/schedules/999999/clock-in", {}), 404, "not found")

    early = await d.api.put(f"{path}/current-activity", headers=d.trainer.headers, json=activity)
    refused(early, 409, "not clocked in")
    refused(await d.post(d.trainer, f"{path}/clock-out", {}), 409, "not clocked in")

    ok(await d.post(d.trainer, f"{path}/clock-in"))  # no body at all
    refused(await d.post(d.trainer, f"{path}/clock-in", {}), 409, "already clocked in")
    refused(await d.post(d.admin, f"{path}/clock-in", {}), 409, "already clocked in")
    # An admin keeps time for the trainer, but only the trainer says what they are doing.
    by_admin = await d.api.put(f"{path}/current-activity", headers=d.admin.headers, json=activity)
    refused(by_admin, 403, "assigned trainer")

    ok(await d.post(d.admin, f"{path}/clock-out", {}))
    refused(await d.post(d.trainer, f"{path}/clock-out", {}), 409, "already clocked out")
    late = await d.api.put(f"{path}/current-activity", headers=d.trainer.headers, json=activity)
    refused(late, 409, "clocked out")
    refused(await d.post(d.trainer, f"{path}/clock-in", {}), 409, "already clocked in")


async def test_a_cancelled_or_unassigned_session_takes_no_time(stack: Stack) -> None:
    d = await a_day(stack)
    cancelled = await d.session()
    ok(
        await d.api.patch(
            f"/schedules/{cancelled['id']}",
            headers=d.parent.headers,
            json={"status": "cancelled"},
        )
    )
    unassigned = await d.session("11:00", "12:00", assigned=False)
    for session, says in ((cancelled, "cancelled"), (unassigned, "no trainer")):
        path = f"/schedules/{session['id']}"
        refused(await d.post(d.admin, f"{path}/clock-in", {}), 409, says)
    refused(await d.post(d.trainer, f"/schedules/{cancelled['id']}/clock-in", {}), 409, "cancelled")
    body = {"activity": "Drills"}
    logged = await d.post(d.trainer, f"/schedules/{cancelled['id']}/activity-logs", body)
    refused(logged, 409, "cancelled")


async def test_a_clock_in_on_another_day_needs_an_admin_saying_so(stack: Stack) -> None:
    d = await a_day(stack)
    tomorrow = await d.session(offset=1)
    path = f"/schedules/{tomorrow['id']}/clock-in"

    refused(await d.post(d.trainer, path, {}), 409, "not today")
    outside = {"outside_session_date": True}
    refused(await d.post(d.trainer, path, outside), 403, "only an admin")
    refused(await d.post(d.admin, path, {}), 409, "outside_session_date")
    clocked = ok(await d.post(d.admin, path, {**outside, "location": "Office"}))
    assert utc(clocked["clocked_in_at"]) and clocked["trainer_id"] == d.profile["id"]
    # The trainer carries on from there.
    ok(
        await d.api.put(
            f"/schedules/{tomorrow['id']}/current-activity",
            headers=d.trainer.headers,
            json={"activity": "Set-up"},
        )
    )


async def test_bad_bodies_and_queries_are_422_on_their_fields(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session()
    path = f"/schedules/{session['id']}"
    for body, where in (
        ({"location": ""}, ("body", "location")),
        ({"location": "x" * 201}, ("body", "location")),
        ({"outside_session_date": "maybe"}, ("body", "outside_session_date")),
        ([1], ("body",)),
    ):
        answer = await d.post(d.trainer, f"{path}/clock-in", body)
        assert where in field_locations(answer), (body, answer.text)
    assert ("body", "location") in field_locations(
        await d.post(d.trainer, f"{path}/clock-out", {"location": ""})
    )
    for body, where in (
        ({}, ("body", "activity")),
        ({"activity": ""}, ("body", "activity")),
        ({"activity": "x" * 201}, ("body", "activity")),
        ({"activity": "Drills", "location": ""}, ("body", "location")),
    ):
        answer = await d.api.put(f"{path}/current-activity", headers=d.trainer.headers, json=body)
        assert where in field_locations(answer), (body, answer.text)
    for body, where in (
        ({}, ("body", "activity")),
        ({"activity": ""}, ("body", "activity")),
        ({"activity": "Drills", "notes": "n" * 2001}, ("body", "notes")),
    ):
        answer = await d.post(d.trainer, f"{path}/activity-logs", body)
        assert where in field_locations(answer), (body, answer.text)
    log = ok(await d.post(d.trainer, f"{path}/activity-logs", {"activity": "Drills"}), 201)
    for body, where in (
        ({"activity": ""}, ("body", "activity")),
        ({"notes": "n" * 2001}, ("body", "notes")),
    ):
        answer = await d.api.patch(
            f"/activity-logs/{log['id']}", headers=d.trainer.headers, json=body
        )
        assert where in field_locations(answer), (body, answer.text)
    for query, where in (({"limit": 0}, ("query", "limit")), ({"limit": 201}, ("query", "limit"))):
        answer = await d.api.get(f"{path}/activity-logs", headers=d.parent.headers, params=query)
        assert where in field_locations(answer), (query, answer.text)
    forged = {"cursor": "forged"}
    answer = await d.api.get(f"{path}/activity-logs", headers=d.parent.headers, params=forged)
    refused(answer, 422, "cursor")
    answer = await d.post(d.trainer, "/schedules/x/clock-in", {})
    assert field_locations(answer) == {("path", "schedule_id")}
    answer = await d.api.get("/admin/today", headers=d.admin.headers, params={"date": "soon"})
    assert field_locations(answer) == {("query", "date")}
    # None of it clocked anyone in.
    seen = ok(await d.api.get(path, headers=d.admin.headers))
    assert seen["clocked_in_at"] is None and seen["current_activity"] is None


async def test_a_retried_clock_in_answers_the_first_result(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session()
    path = f"/schedules/{session['id']}/clock-in"
    key = {"Idempotency-Key": f"clock-in-{session['id']}"}

    first = await d.post(d.trainer, path, {"location": "Gate"}, **key)
    clocked = ok(first)
    assert "idempotent-replayed" not in first.headers
    again = await d.post(d.trainer, path, {"location": "Gate"}, **key)
    assert ok(again) == clocked and again.headers["idempotent-replayed"] == "true"
    # Without the key it is a second clock-in, refused; with it on another body, a misuse.
    refused(await d.post(d.trainer, path, {"location": "Gate"}), 409, "already clocked in")
    refused(await d.post(d.trainer, path, {"location": "Gym"}, **key), 422, "different request")
    seen = ok(await d.api.get(f"/schedules/{session['id']}", headers=d.parent.headers))
    assert seen["clocked_in_at"] == clocked["clocked_in_at"]


async def test_activity_logs_are_written_by_the_trainer_and_read_by_parent_and_admin(
    stack: Stack,
) -> None:
    d = await a_day(stack)
    session = await d.session()
    logs = f"/schedules/{session['id']}/activity-logs"
    # Clocked in or not: a log may be written before or after the session.
    made = [
        ok(await d.post(d.trainer, logs, {"activity": f"Step {n}"}), 201)["id"] for n in range(3)
    ]
    for who, status in ((d.parent, 403), (d.admin, 403), (d.other_trainer, 404)):
        refused(await d.post(who, logs, {"activity": "Mine"}), status)
        answer = await d.api.patch(
            f"/activity-logs/{made[0]}", headers=who.headers, json={"notes": "Mine"}
        )
        refused(answer, status)
    refused(await d.post(d.other_parent, logs, {"activity": "Mine"}), 404)
    answer = await d.api.patch(
        "/activity-logs/999999", headers=d.trainer.headers, json={"notes": "x"}
    )
    refused(answer, 404, "not found")

    newest_first = made[::-1]
    for who in (d.parent, d.trainer, d.admin):
        page = ok(await d.api.get(logs, headers=who.headers))
        assert [e["id"] for e in page["items"]] == newest_first and page["next_cursor"] is None
    for who in (d.other_parent, d.other_trainer):
        refused(await d.api.get(logs, headers=who.headers), 404)
    first = ok(await d.api.get(logs, headers=d.parent.headers, params={"limit": 2}))
    assert [e["id"] for e in first["items"]] == newest_first[:2] and first["next_cursor"]
    rest = ok(
        await d.api.get(
            logs, headers=d.parent.headers, params={"limit": 2, "cursor": first["next_cursor"]}
        )
    )
    assert [e["id"] for e in rest["items"]] == newest_first[2:] and rest["next_cursor"] is None


def mine(today: dict[str, Any], ids: set[int]) -> dict[str, list[int]]:
    """Each bucket's sessions among `ids`, in its order (the demo day has a session too)."""
    return {
        bucket: [e["schedule_id"] for e in today[bucket] if e["schedule_id"] in ids]
        for bucket in ("in_progress", "upcoming", "finished")
    }


async def test_the_admins_today_puts_each_session_in_its_place(stack: Stack) -> None:
    d = await a_day(stack)
    late = await d.session("15:00", "16:00")
    running = await d.session("09:00", "10:00")
    done = await d.session("07:00", "08:00")
    completed = await d.session("08:00", "09:00")
    unassigned = await d.session("06:00", "07:00", assigned=False)
    cancelled = await d.session("12:00", "13:00")
    tomorrow = await d.session("10:00", "11:00", offset=1)

    clocked = ok(await d.post(d.trainer, f"/schedules/{running['id']}/clock-in", {}))
    doing = ok(
        await d.api.put(
            f"/schedules/{running['id']}/current-activity",
            headers=d.trainer.headers,
            json={"activity": "Passing drills", "location": "North field"},
        )
    )
    ok(await d.post(d.trainer, f"/schedules/{done['id']}/clock-in", {}))
    out = ok(await d.post(d.trainer, f"/schedules/{done['id']}/clock-out", {}))
    for session, status in ((completed, "completed"), (cancelled, "cancelled")):
        ok(
            await d.api.patch(
                f"/schedules/{session['id']}", headers=d.admin.headers, json={"status": status}
            )
        )

    for who in (d.parent, d.trainer):
        refused(await d.api.get("/admin/today", headers=who.headers), 403, "admins only")
    today = ok(await d.api.get("/admin/today", headers=d.admin.headers))
    assert today["date"] == on(0) and today["time_zone"] == BUSINESS_TIME_ZONE
    ids = {s["id"] for s in (late, running, done, completed, unassigned, cancelled, tomorrow)}
    assert mine(today, ids) == {
        "in_progress": [running["id"]],
        "upcoming": [unassigned["id"], late["id"]],
        "finished": [done["id"], completed["id"]],
    }
    entry = today["in_progress"][
        [e["schedule_id"] for e in today["in_progress"]].index(running["id"])
    ]
    assert entry == {
        "schedule_id": running["id"],
        "date": on(0),
        "start_time": running["start_time"],
        "end_time": running["end_time"],
        "location": "Hall",
        "status": "scheduled",
        "child": {"id": d.child["id"], "name": "Kit"},
        "trainer": {"id": d.profile["id"], "name": d.profile["name"]},
        "clocked_in_at": clocked["clocked_in_at"],
        "clocked_out_at": None,
        "latest_activity": doing["current_activity"],
    }
    by_id = {e["schedule_id"]: e for bucket in ("upcoming", "finished") for e in today[bucket]}
    assert by_id[unassigned["id"]]["trainer"] is None
    assert by_id[unassigned["id"]]["latest_activity"] is None
    assert by_id[done["id"]]["clocked_out_at"] == out["clocked_out_at"]
    assert by_id[completed["id"]]["status"] == "completed"

    other_day = ok(await d.api.get("/admin/today", headers=d.admin.headers, params={"date": on(1)}))
    assert other_day["date"] == on(1)
    assert mine(other_day, ids) == {"in_progress": [], "upcoming": [tomorrow["id"]], "finished": []}


async def test_bookings_stopped_is_503_saying_so(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session()
    path = f"/schedules/{session['id']}"
    await stack.bookings.stop()

    refused(await d.post(d.trainer, f"{path}/clock-in", {}), 503, "bookings")
    refused(await d.api.get(path, headers=d.parent.headers), 503, "bookings")
    refused(await d.api.get("/admin/today", headers=d.admin.headers), 503, "bookings")
    answer = await d.post(d.trainer, f"{path}/activity-logs", {"activity": "Drills"})
    refused(answer, 503, "bookings")

    async with running_bookings(stack.settings.nats_url, stack.databases["bookings"]):
        seen = ok(await d.api.get(path, headers=d.parent.headers))
        assert seen["clocked_in_at"] is None and seen["activity_logs"] == []


async def test_trainers_stopped_is_503_and_nothing_changes(stack: Stack) -> None:
    d = await a_day(stack)
    session = await d.session()
    path = f"/schedules/{session['id']}"
    await stack.trainers.stop()

    refused(await d.post(d.trainer, f"{path}/clock-in", {}), 503, "trainers")
    answer = await d.api.put(
        f"{path}/current-activity", headers=d.trainer.headers, json={"activity": "Drills"}
    )
    refused(answer, 503, "trainers")
    refused(await d.api.get(path, headers=d.parent.headers), 503, "trainers service")
    refused(await d.api.get("/admin/today", headers=d.admin.headers), 503, "trainers service")
    # Bookings alone still answers the session's list.
    listed = ok(await d.api.get(f"/bookings/{d.booking['id']}/schedules", headers=d.admin.headers))
    assert listed["items"] == [session]

    zone = BUSINESS_TIME_ZONE
    url = stack.settings.nats_url
    async with running_trainers(url, stack.databases["trainers"], business_time_zone=zone):
        seen = ok(await d.api.get(path, headers=d.parent.headers))
        assert seen["clocked_in_at"] is None and seen["current_activity"] is None
        assert ok(await d.post(d.trainer, f"{path}/clock-in", {}))["clocked_in_at"]
