"""The booking lifecycle as a new user tries it (docs/rest.md), heard live: every step reaches
exactly the channels of the trigger table (docs/triggers.md), and no other user's.

Each user has a real Echo client on their own channel, the admin one on the admin channel. After
every step each listener's frames must equal what the table predicts so far; at the end every
listener gets one more frame of its own (a sentinel sent after everything else on the same
streams), so a frame that went astray earlier would already have been seen."""

from datetime import date, timedelta
from typing import Any

import httpx

from testkit.stack import RunningStack

from .conftest import (
    AVAILABILITY,
    BOOKINGS,
    CHILDREN,
    NOTIFICATIONS,
    SESSION,
    Audience,
    audience_of,
    listen,
    login,
    new_user,
    ok,
    trainer_profile,
)


async def test_book_set_availability_assign_and_pay_each_heard_by_exactly_its_channels(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    admin = await login(api, "admin@cams.test")
    parent = await new_user(api, admin, "parent", "Paula Parent")
    other_parent = await new_user(api, admin, "parent", "Otto Other")
    trainer = await new_user(api, admin, "trainer", "Tina Trainer")
    other_trainer = await new_user(api, admin, "trainer", "Theo Trainer")
    tina = await trainer_profile(api, trainer)
    theo = await trainer_profile(api, other_trainer)
    day = (date.today() + timedelta(days=3)).isoformat()

    audience = await audience_of(
        stack,
        admin,
        parent=parent,
        other_parent=other_parent,
        trainer=trainer,
        other_trainer=other_trainer,
    )
    try:
        child = ok(
            await api.post(
                "/children",
                headers=parent.headers,
                json={"name": "Kit", "date_of_birth": "2017-06-01"},
            ),
            201,
        )
        await audience.hears(parent=[CHILDREN], admin=[CHILDREN])

        booking = ok(
            await api.post("/bookings", headers=parent.headers, json={"child_id": child["id"]}),
            201,
        )
        assert booking["status"] == "active"
        await audience.hears(parent=[BOOKINGS], admin=[BOOKINGS])

        session = ok(
            await api.post(
                f"/bookings/{booking['id']}/schedules",
                headers=parent.headers,
                json={"date": day, "start_time": "09:00", "end_time": "10:00", "location": "Hall"},
            ),
            201,
        )
        assert session["status"] == "scheduled" and session["trainer_id"] is None
        await audience.hears(parent=[SESSION], admin=[SESSION])

        availability = ok(
            await api.put(
                f"/trainers/{tina['id']}/availability",
                headers=trainer.headers,
                json={"dates": [day, day]},
            )
        )
        assert availability["dates"] == [day]
        await audience.hears(trainer=[AVAILABILITY], admin=[AVAILABILITY])

        assigned = ok(
            await api.post(
                f"/schedules/{session['id']}/trainer",
                headers=admin.headers,
                json={"trainer_id": tina["id"]},
            )
        )
        assert assigned["trainer_user_id"] == trainer.id
        # With its "Trainer assigned to session" notification for the parent and the trainer.
        await audience.hears(
            parent=[SESSION, NOTIFICATIONS], trainer=[SESSION, NOTIFICATIONS], admin=[SESSION]
        )

        mine = ok(await api.get("/schedules?trainer=me", headers=trainer.headers))
        assert [s["id"] for s in mine["items"]] == [session["id"]]

        payment = ok(
            await api.post(
                f"/bookings/{booking['id']}/payments",
                headers=parent.headers,
                json={"amount": "25.50", "currency": "GBP"},
            ),
            201,
        )
        assert payment["status"] == "processed" and payment["reference"]
        # PaymentProcessed is silent (docs/triggers.md): the payer hears of it through the bell.
        await audience.hears(parent=[NOTIFICATIONS])

        absence = ok(
            await api.post(
                f"/trainers/{tina['id']}/absence-requests",
                headers=trainer.headers,
                json={"start_date": day, "end_date": day, "reason": "Dentist"},
            ),
            201,
        )
        await audience.hears(trainer=[AVAILABILITY], admin=[AVAILABILITY])
        ok(
            await api.patch(
                f"/absence-requests/{absence['id']}",
                headers=admin.headers,
                json={"status": "approved"},
            )
        )
        await audience.hears(trainer=[AVAILABILITY, NOTIFICATIONS], admin=[AVAILABILITY])

        ok(
            await api.patch(
                f"/bookings/{booking['id']}", headers=parent.headers, json={"notes": "Bring water"}
            )
        )
        # The booking's trainers hear of it too: they are on one of its sessions.
        await audience.hears(parent=[BOOKINGS], trainer=[BOOKINGS], admin=[BOOKINGS])

        ok(
            await api.patch(
                f"/schedules/{session['id']}", headers=parent.headers, json={"location": "Gym"}
            )
        )
        await audience.hears(parent=[SESSION], trainer=[SESSION], admin=[SESSION])

        cancelled = ok(
            await api.post("/admin/schedules/cancel", headers=admin.headers, json={"date": day})
        )
        assert session["id"] in cancelled["schedule_ids"]
        # The bulk action is one admin-only refresh, not a frame per session; those it touched
        # get one notification each.
        await audience.hears(admin=[SESSION], parent=[NOTIFICATIONS], trainer=[NOTIFICATIONS])

        # Sentinels: one more frame for every listener, after everything above on both streams.
        ok(await api.patch(f"/children/{child['id']}", headers=parent.headers, json={"name": "K"}))
        ok(
            await api.post(
                "/children",
                headers=other_parent.headers,
                json={"name": "Ola", "date_of_birth": "2019-01-01"},
            ),
            201,
        )
        await audience.hears(parent=[CHILDREN], other_parent=[CHILDREN], admin=[CHILDREN] * 2)
        for who, profile in ((trainer, tina), (other_trainer, theo)):
            ok(
                await api.put(
                    f"/trainers/{profile['id']}/availability",
                    headers=who.headers,
                    json={"dates": []},
                )
            )
        await audience.hears(
            trainer=[AVAILABILITY], other_trainer=[AVAILABILITY], admin=[AVAILABILITY] * 2
        )
    finally:
        for listener in audience.listeners.values():
            await listener.page.close()


async def test_refusals_are_clear_and_change_nothing(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    admin = await login(api, "admin@cams.test")
    parent = await new_user(api, admin, "parent", "Rita Refused")
    other_parent = await new_user(api, admin, "parent", "Nosy Neighbour")
    trainer = await new_user(api, admin, "trainer", "Ursula Unavailable")
    profile = await trainer_profile(api, trainer)
    day = date.today() + timedelta(days=5)
    absent_day = day + timedelta(days=1)
    ok(
        await api.put(
            f"/trainers/{profile['id']}/availability",
            headers=trainer.headers,
            json={"dates": [day.isoformat(), absent_day.isoformat()]},
        )
    )
    absence = ok(
        await api.post(
            f"/trainers/{profile['id']}/absence-requests",
            headers=trainer.headers,
            json={
                "start_date": absent_day.isoformat(),
                "end_date": absent_day.isoformat(),
                "reason": "Course",
            },
        ),
        201,
    )
    ok(
        await api.patch(
            f"/absence-requests/{absence['id']}", headers=admin.headers, json={"status": "approved"}
        )
    )

    # Listening from the start, so that no frame of the set-up can arrive as a refusal's.
    listener = await listen(stack, parent, "refused-parent", f"private-live-refresh.{parent.id}")
    child = ok(
        await api.post(
            "/children", headers=parent.headers, json={"name": "Ned", "date_of_birth": "2016-02-02"}
        ),
        201,
    )
    booking = ok(
        await api.post("/bookings", headers=parent.headers, json={"child_id": child["id"]}), 201
    )

    async def session(on: date, start: str, end: str) -> dict[str, Any]:
        return ok(
            await api.post(
                f"/bookings/{booking['id']}/schedules",
                headers=parent.headers,
                json={
                    "date": on.isoformat(),
                    "start_time": start,
                    "end_time": end,
                    "location": "Pool",
                },
            ),
            201,
        )

    first = await session(day, "09:00", "10:00")
    overlapping = await session(day, "09:30", "10:30")
    on_absence = await session(absent_day, "09:00", "10:00")
    unavailable = await session(day + timedelta(days=2), "09:00", "10:00")
    ok(
        await api.post(
            f"/schedules/{first['id']}/trainer",
            headers=admin.headers,
            json={"trainer_id": profile["id"]},
        )
    )

    # Everything the set-up sent the parent, then (below) nothing for any refusal.
    await Audience({"parent": listener}).hears(
        parent=[CHILDREN, BOOKINGS, *[SESSION] * 4, SESSION, NOTIFICATIONS]
    )
    try:
        refusals = [
            (
                parent,
                "post",
                f"/schedules/{overlapping['id']}/trainer",
                {"trainer_id": profile["id"]},
                403,
                "admin",
            ),
            (
                trainer,
                "post",
                f"/schedules/{overlapping['id']}/trainer",
                {"trainer_id": profile["id"]},
                404,
                "not found",
            ),
            (
                other_parent,
                "patch",
                f"/bookings/{booking['id']}",
                {"notes": "mine now"},
                404,
                "not found",
            ),
            (
                admin,
                "post",
                f"/schedules/{overlapping['id']}/trainer",
                {"trainer_id": profile["id"]},
                409,
                "already has session",
            ),
            (
                admin,
                "post",
                f"/schedules/{on_absence['id']}/trainer",
                {"trainer_id": profile["id"]},
                409,
                "absence",
            ),
            (
                admin,
                "post",
                f"/schedules/{unavailable['id']}/trainer",
                {"trainer_id": profile["id"]},
                409,
                "not available",
            ),
            (
                admin,
                "post",
                f"/schedules/{unavailable['id']}/trainer",
                {"trainer_id": 999_999},
                409,
                "999999",
            ),
            (
                parent,
                "patch",
                f"/schedules/{first['id']}",
                {"start_time": "11:00"},
                422,
                "end_time",
            ),
            (
                parent,
                "post",
                f"/bookings/{booking['id']}/payments",
                {"amount": "0", "currency": "GBP"},
                422,
                "amount",
            ),
            (
                parent,
                "post",
                f"/bookings/{booking['id']}/payments",
                {"amount": "10.001", "currency": "GBP"},
                422,
                "amount",
            ),
            (
                parent,
                "post",
                f"/bookings/{booking['id']}/payments",
                {"amount": "10", "currency": "XQQ"},
                422,
                "currency",
            ),
        ]
        for who, method, path, body, status, says in refusals:
            answer = await api.request(method, path, headers=who.headers, json=body)
            assert answer.status_code == status, (path, body, answer.text)
            assert says in answer.text.lower(), (path, body, answer.text)

        sessions = ok(await api.get(f"/bookings/{booking['id']}/schedules", headers=parent.headers))
        trainers = {s["id"]: s["trainer_id"] for s in sessions["items"]}
        assert trainers == {
            first["id"]: profile["id"],
            overlapping["id"]: None,
            on_absence["id"]: None,
            unavailable["id"]: None,
        }
        assert ok(await api.get(f"/schedules/{first['id']}", headers=parent.headers))[
            "start_time"
        ].startswith("09:00")
        payments = ok(await api.get(f"/bookings/{booking['id']}/payments", headers=parent.headers))
        assert payments["items"] == []
        # A sentinel after all the refusals: the parent's first frame since they subscribed.
        ok(await api.patch(f"/children/{child['id']}", headers=parent.headers, json={"name": "N"}))
        await Audience({"parent": listener}).hears(parent=[CHILDREN])
    finally:
        await listener.page.close()
