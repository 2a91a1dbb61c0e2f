"""`./dev up` itself: it uses a NATS the environment names, and SIGTERM stops every process."""

import os
from pathlib import Path

import httpx

from testkit.nats_server import NatsServer
from testkit.stack import RunningStack
from testkit.waiting import eventually

from .conftest import login


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_with_nats_url_set_it_starts_no_nats_and_sigterm_stops_all_it_started(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    with RunningStack(tmp_path / "stack", nats_url=nats_server.url) as stack:
        pids = stack.pids()
        services = {"bookings", "trainers", "notifications", "realtime", "realtime-router"}
        assert set(pids) == {*services, "gateway"}
        async with httpx.AsyncClient(base_url=stack.api, timeout=15) as api:
            parent = await login(api, "parent@cams.test")
            children = await api.get("/children", headers=parent.headers)
            assert [c["name"] for c in children.json()["items"]] == ["Sam"]  # the demo child

    async def all_gone() -> bool:
        return not any(alive(pid) for pid in pids.values())

    await eventually(all_gone, timeout=15)
    assert "devstack: stopping" in stack.log()
