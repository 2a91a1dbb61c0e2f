"""The dev profile's demo data (docs/howto.md): what a new user finds after `./dev up`."""

from datetime import date, timedelta

import httpx

from testkit.waiting import eventually

from .conftest import login


async def test_the_demo_trainer_is_available_and_the_demo_child_has_a_session_today(
    api: httpx.AsyncClient,
) -> None:
    trainer = await login(api, "trainer@cams.test")
    parent = await login(api, "parent@cams.test")
    today = date.today()
    fortnight = {(today + timedelta(days=n)).isoformat() for n in range(15)}

    async def available() -> bool:
        me = await api.get("/trainers/me", headers=trainer.headers)
        if me.status_code != 200:
            return False
        dates = await api.get(f"/trainers/{me.json()['id']}/availability", headers=trainer.headers)
        return fortnight <= set(dates.json()["dates"])

    await eventually(available, timeout=30)

    async def session_today() -> list[dict[str, object]]:
        answer = await api.get(f"/schedules?date={today}", headers=parent.headers)
        return answer.json()["items"] if answer.status_code == 200 else []

    sessions = await eventually(session_today, timeout=30)
    assert sessions[0]["child_name"] == "Sam"
    bookings = (await api.get("/bookings", headers=parent.headers)).json()["items"]
    assert sessions[0]["booking_id"] in {b["id"] for b in bookings}
