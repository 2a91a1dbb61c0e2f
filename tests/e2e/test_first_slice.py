"""The first live slice: a parent creates a child and both the parent's and the admin's pages
hear `LiveRefreshContextsUpdated {"contexts": ["children"]}` over a real Echo client."""

import json
import uuid
from pathlib import Path

import httpx
import pytest

from testkit.echo import matching
from testkit.stack import RunningStack
from testkit.waiting import eventually

from .conftest import echo_for, login

EVENT = "LiveRefreshContextsUpdated"


@pytest.mark.parametrize("broadcaster", ["reverb", "pusher"])
async def test_parent_and_admin_channels_each_receive_the_children_frame(
    stack: RunningStack, api: httpx.AsyncClient, broadcaster: str
) -> None:
    """The seed's Echo set-up, Reverb-style or Pusher-style, with only host, port and key set."""
    parent = await login(api, "parent@cams.test")
    admin = await login(api, "admin@cams.test")
    parent_page = await echo_for(stack, parent, "parent", broadcaster)
    admin_page = await echo_for(stack, admin, "admin", broadcaster)
    try:
        own = f"live-refresh.{parent.id}"
        await parent_page.subscribe("private", own, events=[EVENT])
        await admin_page.subscribe("private", "live-refresh.admin", events=[EVENT])
        await parent_page.wait_for(matching(type="subscribed", channel=f"private-{own}"))
        await admin_page.wait_for(matching(type="subscribed", channel="private-live-refresh.admin"))

        created = await api.post(
            "/children",
            headers=parent.headers,
            json={"name": "Robin", "date_of_birth": "2017-03-04"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["parent_id"] == parent.id

        for page, channel in (
            (parent_page, f"private-{own}"),
            (admin_page, "private-live-refresh.admin"),
        ):
            # The admins' channel also hears the activity feed's frame, in either order.
            def children_frame(seen: dict[str, object], channel: str = channel) -> bool:
                data = seen.get("data")
                return (
                    matching(type="event", event=EVENT, channel=channel)(seen)
                    and isinstance(data, dict)
                    and data.get("contexts") != ["activity"]
                )

            frame = await page.wait_for(children_frame)
            assert frame["data"]["contexts"] == ["children"]
            assert set(frame["data"]["versions"]) == {"children"}  # extra, ignored by the seed
    finally:
        await parent_page.close()
        await admin_page.close()


async def test_a_parent_may_not_listen_on_the_admin_channel(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    parent = await login(api, "parent@cams.test")
    page = await echo_for(stack, parent, "nosy-parent")
    try:
        await page.subscribe("private", "live-refresh.admin", events=[EVENT])
        refused = await page.wait_for(matching(type="subscription_error"))
        assert refused["channel"] == "private-live-refresh.admin"
        assert refused["error"]["status"] == 403
    finally:
        await page.close()


async def test_a_new_user_registers_and_hears_only_their_own_changes(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@cams.test"
    answer = await api.post(
        "/auth/register", json={"email": email, "name": "New Parent", "password": "s3cret-pass"}
    )
    assert answer.status_code == 201, answer.text
    newcomer = await login(api, email, "s3cret-pass")
    other = await login(api, "parent@cams.test")
    page = await echo_for(stack, newcomer, "newcomer")
    try:
        channel = f"live-refresh.{newcomer.id}"
        await page.subscribe("private", channel, events=[EVENT])
        await page.wait_for(matching(type="subscribed", channel=f"private-{channel}"))
        # Another parent's change must not reach the newcomer ...
        await api.post(
            "/children",
            headers=other.headers,
            json={"name": "Not Yours", "date_of_birth": "2016-01-01"},
        )
        # ... while the newcomer's own change does, and it is the first frame they see.
        mine = await api.post(
            "/children",
            headers=newcomer.headers,
            json={"name": "Mine", "date_of_birth": "2020-02-02"},
        )
        assert mine.status_code == 201
        frame = await page.wait_for(matching(type="event", event=EVENT))
        assert frame["channel"] == f"private-{channel}"
        assert page.seen(matching(type="event")) == [frame]
    finally:
        await page.close()


async def test_the_rest_call_and_the_websocket_frame_are_one_trace(
    stack: RunningStack, api: httpx.AsyncClient, spans_file: Path
) -> None:
    parent = await login(api, "parent@cams.test")
    page = await echo_for(stack, parent, "traced")
    try:
        channel = f"private-live-refresh.{parent.id}"
        await page.subscribe("private", channel.removeprefix("private-"), events=[EVENT])
        await page.wait_for(matching(type="subscribed", channel=channel))
        answer = await api.post(
            "/children",
            headers=parent.headers,
            json={"name": "Traced", "date_of_birth": "2018-08-08"},
        )
        trace_id = answer.headers["traceparent"].split("-")[1]
        await page.wait_for(matching(type="event", event=EVENT, channel=channel))

        async def spans_of_trace() -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            for line in spans_file.read_text().splitlines():
                span = json.loads(line)
                if span["context"]["trace_id"].removeprefix("0x") == trace_id:
                    service = span["resource"]["attributes"]["service.name"]
                    found.setdefault(service, set()).add(span["name"])
            # Done when the edge's span for writing the frame has been exported.
            return (
                found if f"live.deliver.cams.{channel} process" in found.get("realtime", ()) else {}
            )

        services = await eventually(spans_of_trace, timeout=10)
        assert {"gateway", "bookings", "realtime"} <= services.keys()
        assert "POST /api/v1/children" in services["gateway"]
        assert f"live.deliver.cams.{channel} process" in services["realtime"]
    finally:
        await page.close()
