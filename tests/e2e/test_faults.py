"""What breaks if a service stops or crashes: only what depends on it, and never for long."""

import signal
from collections.abc import Iterator

import httpx
import pytest

from testkit.stack import RunningStack
from testkit.waiting import eventually

from .conftest import login


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: these tests stop and kill services."""
    running = RunningStack(tmp_path_factory.mktemp("fault-stack"))
    running.start()
    yield running
    running.stop()


async def test_bookings_stopped_gives_503_for_children_and_nothing_else_breaks(
    own_stack: RunningStack,
) -> None:
    async with httpx.AsyncClient(base_url=own_stack.api, timeout=15) as api:
        parent = await login(api, "parent@cams.test")
        assert (await api.get("/children", headers=parent.headers)).status_code == 200

        own_stack.signal_service("bookings", signal.SIGTERM)

        async def children_unavailable() -> httpx.Response | None:
            answer = await api.get("/children", headers=parent.headers)
            return answer if answer.status_code == 503 else None

        answer = await eventually(children_unavailable, timeout=15)
        assert "bookings" in answer.json()["detail"]
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
            assert (await plain.get(f"{own_stack.realtime}/readyz")).status_code == 200


async def test_a_crashed_service_is_reported_and_restarted(own_stack: RunningStack) -> None:
    killed = own_stack.signal_service("trainers", signal.SIGKILL)

    async def restarted() -> bool:
        return own_stack.pid_of("trainers") != killed

    await eventually(restarted, timeout=20)
    assert "trainers crashed" in own_stack.log()
