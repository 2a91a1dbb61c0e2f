"""The replaced system's live test of "Today's activity": a trainer clocks in and says what they
are doing, and the admin's page (and the parent's) hears each step and refetches
`GET /admin/today` (docs/rest.md), with no one else hearing anything (docs/triggers.md)."""

from datetime import date
from typing import Any

import httpx

from testkit.stack import RunningStack

from .conftest import (
    AVAILABILITY,
    BOOKINGS,
    CHILDREN,
    NOTIFICATIONS,
    SESSION,
    Session,
    audience_of,
    login,
    new_user,
    ok,
    trainer_profile,
)


async def todays_entry(api: httpx.AsyncClient, admin: Session, schedule_id: int) -> dict[str, Any]:
    """Which bucket of `GET /admin/today` holds the session, and its entry."""
    today = ok(await api.get("/admin/today", headers=admin.headers))
    for bucket in ("in_progress", "upcoming", "finished"):
        for entry in today[bucket]:
            if entry["schedule_id"] == schedule_id:
                return {"bucket": bucket, **entry}
    raise AssertionError(f"session {schedule_id} is not in today's activity: {today}")


async def test_clock_in_and_what_i_am_doing_move_todays_activity_live(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    admin = await login(api, "admin@cams.test")
    parent = await new_user(api, admin, "parent", "Dana Day")
    other_parent = await new_user(api, admin, "parent", "Ole Other")
    trainer = await new_user(api, admin, "trainer", "Cleo Clock")
    other_trainer = await new_user(api, admin, "trainer", "Ned Nobody")
    profile = await trainer_profile(api, trainer)
    today = date.today().isoformat()
    # Listening from the start: every frame of the set-up is expected too, so a slow router
    # cannot pass one off as a frame of a later step.
    audience = await audience_of(
        stack,
        admin,
        parent=parent,
        other_parent=other_parent,
        trainer=trainer,
        other_trainer=other_trainer,
    )
    ok(
        await api.put(
            f"/trainers/{profile['id']}/availability",
            headers=trainer.headers,
            json={"dates": [today]},
        )
    )
    await audience.hears(trainer=[AVAILABILITY], admin=[AVAILABILITY])
    child = ok(
        await api.post(
            "/children", headers=parent.headers, json={"name": "Ivy", "date_of_birth": "2017-01-01"}
        ),
        201,
    )
    await audience.hears(parent=[CHILDREN], admin=[CHILDREN])
    booking = ok(
        await api.post("/bookings", headers=parent.headers, json={"child_id": child["id"]}), 201
    )
    await audience.hears(parent=[BOOKINGS], admin=[BOOKINGS])
    session = ok(
        await api.post(
            f"/bookings/{booking['id']}/schedules",
            headers=parent.headers,
            json={"date": today, "start_time": "06:00", "end_time": "07:00", "location": "Field"},
        ),
        201,
    )
    await audience.hears(parent=[SESSION], admin=[SESSION])
    path = f"/schedules/{session['id']}"
    ok(await api.post(f"{path}/trainer", headers=admin.headers, json={"trainer_id": profile["id"]}))
    await audience.hears(
        parent=[SESSION, NOTIFICATIONS], trainer=[SESSION, NOTIFICATIONS], admin=[SESSION]
    )
    assert (await todays_entry(api, admin, session["id"]))["bucket"] == "upcoming"

    everyone_watching = {"parent": [SESSION], "trainer": [SESSION], "admin": [SESSION]}
    try:
        # Refusals first: none of them is heard by anyone.
        for who, status in ((other_trainer, 404), (parent, 403)):
            refused = await api.post(f"{path}/clock-in", headers=who.headers, json={})
            assert refused.status_code == status, refused.text
        early = await api.put(
            f"{path}/current-activity", headers=trainer.headers, json={"activity": "Warm-up"}
        )
        assert early.status_code == 409, early.text
        not_yet = await api.post(f"{path}/clock-out", headers=trainer.headers, json={})
        assert not_yet.status_code == 409, not_yet.text

        retry = {"Idempotency-Key": f"clock-in-{session['id']}"}
        clocked = ok(
            await api.post(
                f"{path}/clock-in",
                headers={**trainer.headers, **retry},
                json={"location": "Gate"},
            )
        )
        await audience.hears(**everyone_watching)
        again = await api.post(
            f"{path}/clock-in", headers={**trainer.headers, **retry}, json={"location": "Gate"}
        )
        assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
        assert again.json()["clocked_in_at"] == clocked["clocked_in_at"]
        twice = await api.post(f"{path}/clock-in", headers=trainer.headers, json={})
        assert twice.status_code == 409, twice.text

        entry = await todays_entry(api, admin, session["id"])
        assert entry["bucket"] == "in_progress"
        assert entry["trainer"]["name"] == "Cleo Clock"
        assert entry["clocked_in_at"] == clocked["clocked_in_at"]
        assert entry["child"] == {"id": child["id"], "name": "Ivy"}

        ok(
            await api.put(
                f"{path}/current-activity",
                headers=trainer.headers,
                json={"activity": "Passing drills", "location": "North field"},
            )
        )
        await audience.hears(**everyone_watching)
        latest = (await todays_entry(api, admin, session["id"]))["latest_activity"]
        assert (latest["activity"], latest["location"]) == ("Passing drills", "North field")

        log = ok(
            await api.post(
                f"{path}/activity-logs",
                headers=trainer.headers,
                json={"activity": "Drills", "notes": "Ivy scored twice"},
            ),
            201,
        )
        await audience.hears(**everyone_watching)
        ok(
            await api.patch(
                f"/activity-logs/{log['id']}", headers=trainer.headers, json={"notes": "Thrice"}
            )
        )
        await audience.hears(**everyone_watching)

        # The parent's page refetches one resource and sees the whole session.
        seen = ok(await api.get(path, headers=parent.headers))
        assert seen["clocked_in_at"] == clocked["clocked_in_at"]
        assert seen["current_activity"]["activity"] == "Passing drills"
        assert [(entry["id"], entry["notes"]) for entry in seen["activity_logs"]] == [
            (log["id"], "Thrice")
        ]

        ok(await api.post(f"{path}/clock-out", headers=trainer.headers, json={}))
        await audience.hears(**everyone_watching)
        assert (await todays_entry(api, admin, session["id"]))["bucket"] == "finished"

        # Sentinels on both streams (one at a time: two streams keep no order between them)
        # for the two who must have heard nothing.
        ok(
            await api.post(
                "/children",
                headers=other_parent.headers,
                json={"name": "Una", "date_of_birth": "2019-01-01"},
            ),
            201,
        )
        await audience.hears(other_parent=[CHILDREN], admin=[CHILDREN])
        other_profile = await trainer_profile(api, other_trainer)
        ok(
            await api.put(
                f"/trainers/{other_profile['id']}/availability",
                headers=other_trainer.headers,
                json={"dates": [today]},
            )
        )
        await audience.hears(other_trainer=[AVAILABILITY], admin=[AVAILABILITY])
    finally:
        for listener in audience.listeners.values():
            await listener.page.close()
