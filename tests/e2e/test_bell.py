"""The bell, as the replaced system's live tests 1 and 2 try it (docs/testing.md): a checklist
raises the admin's unread count, an assignment the parent's and the trainer's, live and on every
tab of the recipient, never another user's; and the admins' activity feed moves with them."""

from datetime import date, timedelta
from typing import Any

import httpx

from testkit.stack import RunningStack
from testkit.waiting import eventually

from .conftest import (
    ACTIVITY,
    AVAILABILITY,
    BOOKINGS,
    CHILDREN,
    NOTIFICATIONS,
    Audience,
    Listener,
    Session,
    listen,
    login,
    new_user,
    notified,
    ok,
    trainer_profile,
    unread,
)


async def newest(api: httpx.AsyncClient, who: Session) -> dict[str, Any]:
    items = ok(await api.get("/notifications?limit=1", headers=who.headers))["items"]
    assert items, "no notification"
    newest: dict[str, Any] = items[0]
    return newest


async def test_a_checklist_raises_the_admins_bell_and_no_one_elses(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    """Live test 1: the parent submits a checklist; the admin's count rises with no reload."""
    admin = await login(api, "admin@cams.test")
    parent = await new_user(api, admin, "parent", "Bea Bell")
    bystander = await new_user(api, admin, "parent", "Bo Bystander")
    child = ok(
        await api.post(
            "/children",
            headers=parent.headers,
            json={"name": "Tess", "date_of_birth": "2016-03-03"},
        ),
        201,
    )
    before = await unread(api, admin)
    audience = Audience(
        {
            "admin": await listen(stack, admin, "admin-bell", f"private-live-refresh.{admin.id}"),
            "bystander": await listen(
                stack, bystander, "bystander", f"private-live-refresh.{bystander.id}"
            ),
        }
    )
    try:
        ok(
            await api.post(
                f"/children/{child['id']}/checklist",
                headers=parent.headers,
                json={"answers": {"allergies": "none"}},
            )
        )
        await audience.hears(admin=[NOTIFICATIONS])
        await notified(api, admin, before + 1)
        note = await newest(api, admin)
        assert note["category"] == "child_checklist" and note["read_at"] is None
        assert "Tess" in note["title"] + note["body"]
        assert await unread(api, bystander) == 0
        assert ok(await api.get("/notifications", headers=bystander.headers))["items"] == []
    finally:
        for listener in audience.listeners.values():
            await listener.page.close()


async def test_an_assignment_raises_the_parents_and_the_trainers_bell_on_every_tab(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    """Live test 2, then the bell API: read, read-all up to a watermark, archive; each change
    reaches every tab of its recipient and no one else."""
    admin = await login(api, "admin@cams.test")
    parent = await new_user(api, admin, "parent", "Rae Ring")
    bystander = await new_user(api, admin, "parent", "Di Different")
    trainer = await new_user(api, admin, "trainer", "Gil Guide")
    profile = await trainer_profile(api, trainer)
    day = (date.today() + timedelta(days=4)).isoformat()
    # Listening from the start: a slow router cannot pass a set-up frame off as a later one.
    channel = f"private-live-refresh.{parent.id}"
    audience = Audience(
        {
            "tab_1": await listen(stack, parent, "tab-1", channel),
            "tab_2": await listen(stack, parent, "tab-2", channel),
            "trainer": await listen(stack, trainer, "guide", f"private-live-refresh.{trainer.id}"),
            "bystander": await listen(
                stack, bystander, "other-tab", f"private-live-refresh.{bystander.id}"
            ),
        }
    )
    ok(
        await api.put(
            f"/trainers/{profile['id']}/availability",
            headers=trainer.headers,
            json={"dates": [day]},
        )
    )
    await audience.hears(trainer=[AVAILABILITY])
    child = ok(
        await api.post(
            "/children", headers=parent.headers, json={"name": "Lu", "date_of_birth": "2018-08-08"}
        ),
        201,
    )
    await audience.hears(tab_1=[CHILDREN], tab_2=[CHILDREN])
    booking = ok(
        await api.post("/bookings", headers=parent.headers, json={"child_id": child["id"]}), 201
    )
    await audience.hears(tab_1=[BOOKINGS], tab_2=[BOOKINGS])
    session = ok(
        await api.post(
            f"/bookings/{booking['id']}/schedules",
            headers=parent.headers,
            json={"date": day, "start_time": "10:00", "end_time": "11:00", "location": "Court"},
        ),
        201,
    )
    session_frame = ["bookings", "trainer_schedules"]
    await audience.hears(tab_1=[session_frame], tab_2=[session_frame])
    both_tabs = {"tab_1": [NOTIFICATIONS], "tab_2": [NOTIFICATIONS]}
    try:
        ok(
            await api.post(
                f"/schedules/{session['id']}/trainer",
                headers=admin.headers,
                json={"trainer_id": profile["id"]},
            )
        )
        await audience.hears(
            tab_1=[session_frame, NOTIFICATIONS],
            tab_2=[session_frame, NOTIFICATIONS],
            trainer=[session_frame, NOTIFICATIONS],
        )
        await notified(api, parent, 1)
        await notified(api, trainer, 1)
        assigned = await newest(api, parent)
        assert assigned["category"] == "trainer_assigned"
        assert (await newest(api, trainer))["category"] == "trainer_assigned"

        for amount in ("10.00", "20.00"):  # two "Payment processed" notifications
            ok(
                await api.post(
                    f"/bookings/{booking['id']}/payments",
                    headers=parent.headers,
                    json={"amount": amount, "currency": "GBP"},
                ),
                201,
            )
        await audience.hears(**{tab: [NOTIFICATIONS] * 2 for tab in ("tab_1", "tab_2")})
        await notified(api, parent, 3)
        notes = ok(await api.get("/notifications", headers=parent.headers))["items"]
        assert [n["category"] for n in notes] == ["payment", "payment", "trainer_assigned"]

        read = ok(await api.post(f"/notifications/{assigned['id']}/read", headers=parent.headers))
        assert read["read_at"] is not None
        await audience.hears(**both_tabs)
        assert await unread(api, parent) == 2
        again = ok(await api.post(f"/notifications/{assigned['id']}/read", headers=parent.headers))
        assert again["read_at"] == read["read_at"]  # reading twice changes nothing

        # Read-all up to the older payment: the newer one, as if it arrived meanwhile, stays.
        older, newer = notes[1], notes[0]
        marked = ok(
            await api.post(
                "/notifications/read-all", headers=parent.headers, json={"up_to_id": older["id"]}
            )
        )
        assert marked["marked"] == 1
        await audience.hears(**both_tabs)
        assert await unread(api, parent) == 1
        repeat = ok(
            await api.post(
                "/notifications/read-all", headers=parent.headers, json={"up_to_id": older["id"]}
            )
        )
        assert repeat["marked"] == 0

        ok(await api.post(f"/notifications/{newer['id']}/archive", headers=parent.headers))
        await audience.hears(**both_tabs)
        assert await unread(api, parent) == 0

        for path in (f"/notifications/{newer['id']}/read", f"/notifications/{newer['id']}/archive"):
            assert (await api.post(path, headers=bystander.headers)).status_code == 404
        assert await unread(api, bystander) == 0
        # Nothing above reached the bystander, nor the trainer after the assignment.
        await audience.hears()
    finally:
        for listener in audience.listeners.values():
            await listener.page.close()


async def test_the_admins_feed_moves_live_with_each_domain_event(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    admin = await login(api, "admin@cams.test")
    parent = await new_user(api, admin, "parent", "Fay Feed")

    async def user_in_feed() -> bool:
        # The new user's own entry, before the feed is watched: it would be one frame more.
        found = await api.get("/activity", headers=admin.headers, params={"object_type": "user"})
        return any(e["object"]["id"] == parent.id for e in ok(found)["items"])

    await eventually(user_in_feed, timeout=15)
    page = await listen(stack, admin, "feed", "private-live-refresh.admin")
    feed = Listener(page.page, page.channel, counts_activity=True)
    try:
        child = ok(
            await api.post(
                "/children",
                headers=parent.headers,
                json={"name": "Max", "date_of_birth": "2015-05-05"},
            ),
            201,
        )
        await Audience({"admin": feed}).hears(admin=[["children"], ACTIVITY])
        entries = ok(
            await api.get(
                "/activity",
                headers=admin.headers,
                params={"actor_id": parent.id, "object_type": "child"},
            )
        )["items"]
        assert [(e["verb"], e["object"]) for e in entries] == [
            ("created", {"type": "child", "id": child["id"]})
        ]
        assert entries[0]["actor"]["user_id"] == parent.id
        assert (await api.get("/activity", headers=parent.headers)).status_code == 403
    finally:
        await page.page.close()
