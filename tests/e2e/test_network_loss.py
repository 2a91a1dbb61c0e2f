"""docs/faults.md: "client loses network — pusher-js reconnects; the client learns which contexts
changed while it was away". The client reaches the edge through a proxy that plays the outage:
30 s offline, as issue 10 puts it, while its children change."""

import asyncio
import time

import httpx

from testkit.echo import matching
from testkit.stack import RunningStack
from testkit.tcp_proxy import FlakyNetwork
from testkit.waiting import eventually

from .conftest import echo_for, login


async def test_a_client_back_from_a_network_loss_reconnects_and_learns_what_changed(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    network = await FlakyNetwork(stack.realtime_port).start()
    parent = await login(api, "parent@cams.test")
    page = await echo_for(stack, parent, "on-a-train", port=network.port)
    try:
        channel = f"private-live-refresh.{parent.id}"
        await page.subscribe(
            "private", channel.removeprefix("private-"), events=["LiveRefreshContextsUpdated"]
        )
        await page.wait_for(matching(type="subscribed", channel=channel))
        before = (await api.get("/live-refresh/versions", headers=parent.headers)).json()

        network.go_offline()
        await page.wait_for(matching(type="state", previous="connected"), timeout=30)
        made = await api.post(
            "/children",
            headers=parent.headers,
            json={"name": "Born Offline", "date_of_birth": "2020-10-10"},
        )
        assert made.status_code == 201

        async def changed() -> dict[str, int] | None:
            now = (await api.get("/live-refresh/versions", headers=parent.headers)).json()
            return now if now["children"] > before["children"] else None

        offline_since = time.monotonic()
        await eventually(changed, timeout=15)  # routed while the client was away
        await asyncio.sleep(max(0.0, 30 - (time.monotonic() - offline_since)))
        network.go_online()
        await page.wait_for(matching(type="connected"), timeout=60)
        await page.wait_for(matching(type="subscribed", channel=channel), timeout=30)
        after = (await api.get("/live-refresh/versions", headers=parent.headers)).json()
        assert after["children"] > before["children"]
        # Missed while away, then told in one frame right after the subscription succeeded.
        recovered = await page.wait_for(matching(type="event", channel=channel), timeout=15)
        assert "children" in recovered["data"]["contexts"]
        assert recovered["data"]["versions"]["children"] == after["children"]
        await asyncio.sleep(1.0)
        assert len(page.seen(matching(type="event", channel=channel))) == 1
    finally:
        await page.close()
        await network.close()
