"""What breaks if a service stops or crashes: only what depends on it, and never for long."""

import contextlib
import os
import signal
from collections.abc import Iterator
from datetime import date

import httpx
import nats
import orjson
import pytest

from contracts.identity import IDENTITY_EVENTS
from testkit.echo import matching
from testkit.stack import RunningStack
from testkit.waiting import eventually

from .conftest import echo_for, login


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: these tests kill services (which the stack then restarts)."""
    with RunningStack(tmp_path_factory.mktemp("fault-stack")) as running:
        yield running


@pytest.fixture
def stack_to_break(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack for one test that stops a service for good."""
    with RunningStack(tmp_path_factory.mktemp("broken-stack")) as running:
        yield running


async def test_bookings_stopped_gives_503_for_children_and_nothing_else_breaks(
    stack_to_break: RunningStack,
) -> None:
    async with httpx.AsyncClient(base_url=stack_to_break.api, timeout=15) as api:
        parent = await login(api, "parent@cams.test")
        assert (await api.get("/children", headers=parent.headers)).status_code == 200

        stack_to_break.signal_service("bookings", signal.SIGTERM)

        async def children_unavailable() -> httpx.Response | None:
            answer = await api.get("/children", headers=parent.headers)
            return answer if answer.status_code == 503 else None

        answer = await eventually(children_unavailable, timeout=15)
        assert "bookings" in answer.json()["detail"]
        # A clock-in asks bookings whose session it is: without it, nothing is clocked.
        trainer = await login(api, "trainer@cams.test")
        clock_in = await api.post("/schedules/1/clock-in", headers=trainer.headers, json={})
        assert clock_in.status_code == 503 and "bookings" in clock_in.json()["detail"]
        # Identity, tokens and channel auth live in the gateway and keep working.
        assert (await api.get("/me", headers=parent.headers)).status_code == 200
        again = await login(api, "parent@cams.test")
        auth = await api.post(
            "/broadcasting/auth",
            headers=again.headers,
            data={"socket_id": "1.1", "channel_name": f"private-live-refresh.{again.id}"},
        )
        assert auth.status_code == 200
        async with httpx.AsyncClient() as plain:
            assert (await plain.get(f"{stack_to_break.realtime}/readyz")).status_code == 200


async def test_trainers_stopped_assignment_is_503_and_the_session_is_unchanged(
    stack_to_break: RunningStack,
) -> None:
    """Assignment asks the trainers service (docs/faults.md); without it nothing is assigned,
    and what does not need it keeps working."""
    async with httpx.AsyncClient(base_url=stack_to_break.api, timeout=15) as api:
        admin = await login(api, "admin@cams.test")
        trainer = await login(api, "trainer@cams.test")

        async def demo_session() -> dict[str, object] | None:
            today = await api.get(f"/schedules?date={date.today()}", headers=admin.headers)
            items = today.json()["items"] if today.status_code == 200 else []
            return items[0] if items else None

        session = await eventually(demo_session, timeout=30)
        profile = (await api.get("/trainers/me", headers=trainer.headers)).json()

        stack_to_break.signal_service("trainers", signal.SIGTERM)

        async def trainers_gone() -> bool:
            answer = await api.get("/trainers", headers=admin.headers)
            return answer.status_code == 503

        await eventually(trainers_gone, timeout=15)
        answer = await api.post(
            f"/schedules/{session['id']}/trainer",
            headers=admin.headers,
            json={"trainer_id": profile["id"]},
        )
        assert answer.status_code == 503, answer.text
        assert "trainers" in answer.json()["detail"]
        assert await demo_session() == session  # unchanged (the list asks bookings only)
        # The session view joins trainers' clock state, so it says trainers is away.
        view = await api.get(f"/schedules/{session['id']}", headers=admin.headers)
        assert view.status_code == 503 and "trainers" in view.json()["detail"]
        # Bookings needs trainers only to assign: the rest of it answers.
        assert (await api.get("/bookings", headers=admin.headers)).status_code == 200
        clock_in = await api.post(
            f"/schedules/{session['id']}/clock-in", headers=trainer.headers, json={}
        )
        assert clock_in.status_code == 503 and "trainers" in clock_in.json()["detail"]


async def test_a_crashed_service_is_reported_and_restarted(own_stack: RunningStack) -> None:
    killed = own_stack.signal_service("trainers", signal.SIGKILL)

    async def restarted() -> bool:
        return own_stack.pid_of("trainers") != killed

    await eventually(restarted, timeout=20)
    assert "trainers crashed" in own_stack.log()


async def test_notifications_killed_while_events_flow_makes_each_notification_once(
    own_stack: RunningStack,
) -> None:
    """The notifications service is killed (SIGKILL, no goodbye) while checklists are being
    submitted, and restarted by `./dev up`: every "Child checklist submitted" exists exactly once
    (docs/faults.md)."""
    async with httpx.AsyncClient(base_url=own_stack.api, timeout=15) as api:
        parent = await login(api, "parent@cams.test")
        admin = await login(api, "admin@cams.test")
        submitted: list[int] = []
        killed = 0
        for n in range(12):
            child = await api.post(
                "/children",
                headers=parent.headers,
                json={"name": f"Flow {n}", "date_of_birth": "2017-07-07"},
            )
            assert child.status_code == 201, child.text
            answer = await api.post(
                f"/children/{child.json()['id']}/checklist",
                headers=parent.headers,
                json={"answers": {"n": n}},
            )
            assert answer.status_code == 200, answer.text
            submitted.append(child.json()["id"])
            if n == 4:
                killed = own_stack.signal_service("notifications", signal.SIGKILL)

        async def restarted() -> bool:
            return own_stack.pid_of("notifications") != killed

        await eventually(restarted, timeout=20)

        async def checklist_notes() -> list[str] | None:
            answer = await api.get(
                "/notifications",
                headers=admin.headers,
                params={"category": "child_checklist", "limit": 200},
            )
            if answer.status_code != 200:
                return None
            links = [note["link"] for note in answer.json()["items"]]
            mine = [link for link in links if link in {f"/children/{c}" for c in submitted}]
            return mine if len(mine) >= len(submitted) else None

        # Messages the killed instance held come back once their ack wait (30 s) has passed.
        links = await eventually(checklist_notes, timeout=90)
        assert sorted(links) == sorted(f"/children/{c}" for c in submitted)


async def test_realtime_crash_rest_still_works_and_clients_catch_up_from_versions(
    own_stack: RunningStack,
) -> None:
    async with httpx.AsyncClient(base_url=own_stack.api, timeout=15) as api:
        parent = await login(api, "parent@cams.test")
        page = await echo_for(own_stack, parent, "reconnecting-parent")
        try:
            channel = f"private-live-refresh.{parent.id}"
            await page.subscribe(
                "private", channel.removeprefix("private-"), events=["LiveRefreshContextsUpdated"]
            )
            await page.wait_for(matching(type="subscribed", channel=channel))
            before = (await api.get("/live-refresh/versions", headers=parent.headers)).json()

            own_stack.signal_service("realtime", signal.SIGKILL)
            await page.wait_for(matching(type="state", previous="connected"))
            # While the edge is away, REST keeps working and the change is stored.
            made = await api.post(
                "/children",
                headers=parent.headers,
                json={"name": "While Away", "date_of_birth": "2019-09-09"},
            )
            assert made.status_code == 201

            # pusher-js comes back by itself and resubscribes ...
            await page.wait_for(matching(type="connected"), timeout=30)
            await page.wait_for(matching(type="subscribed", channel=channel), timeout=30)

            # ... and the versions tell it that `children` moved while it was away.
            async def children_moved() -> dict[str, int] | None:
                answer = await api.get("/live-refresh/versions", headers=parent.headers)
                now = answer.json() if answer.status_code == 200 else {}
                return now if now.get("children", 0) > before["children"] else None

            after = await eventually(children_moved, timeout=30)
            assert after["notifications"] == before["notifications"]
        finally:
            await page.close()


async def test_nats_away_writes_commit_and_their_events_go_out_once_when_it_returns(
    own_stack: RunningStack,
) -> None:
    nats_pid = own_stack.pid_of("nats-server")
    emails = [f"during-outage-{i}@cams.test" for i in range(3)]
    os.kill(nats_pid, signal.SIGSTOP)  # NATS frozen: every connection to it hangs
    try:
        async with httpx.AsyncClient(base_url=own_stack.api, timeout=15) as api:
            for email in emails:
                answer = await api.post(
                    "/auth/register",
                    json={"email": email, "name": "Patient", "password": "password1"},
                )
                assert answer.status_code == 201, answer.text
    finally:
        os.kill(nats_pid, signal.SIGCONT)

    nc = await nats.connect(own_stack.nats_url, **own_stack.nats_login())
    try:
        js = nc.jetstream()

        async def all_published() -> list[str] | None:
            subscription = await js.subscribe(IDENTITY_EVENTS.subjects[0], ordered_consumer=True)
            seen: list[str] = []
            with contextlib.suppress(nats.errors.TimeoutError):
                while True:
                    message = await subscription.next_msg(timeout=0.5)
                    seen.append(orjson.loads(message.data)["email"])
            await subscription.unsubscribe()
            return seen if set(emails) <= set(seen) else None

        published = await eventually(all_published, timeout=60)
        assert all(published.count(email) == 1 for email in emails)
    finally:
        await nc.close()
