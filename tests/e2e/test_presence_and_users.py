"""Who's online, events to one user, and Echo's toOthers — through the gateway's signatures."""

import httpx

from testkit.echo import matching
from testkit.server_sdk import npm_sdk
from testkit.stack import RunningStack

from .conftest import APP_KEY, echo_for, login

APP_ID, SECRET = "cams", "local-dev-secret"


async def test_presence_online_lists_members_with_the_gateways_user_info(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    admin = await login(api, "admin@cams.test")
    parent = await login(api, "parent@cams.test")
    admin_page = await echo_for(stack, admin, "admin-online")
    parent_page = await echo_for(stack, parent, "parent-online")
    try:
        await admin_page.subscribe("join", "online")
        await admin_page.wait_for(matching(type="here", channel="presence-online"))
        await parent_page.subscribe("join", "online")
        here = await parent_page.wait_for(matching(type="here", channel="presence-online"))
        members = {m["id"]: m for m in here["members"]}
        assert members[admin.id] == {"id": admin.id, "name": "Ada Admin", "role": "admin"}
        assert members[parent.id]["role"] == "parent"

        joined = await admin_page.wait_for(matching(type="joining"))
        assert joined["member"] == {"id": parent.id, "name": "Pat Parent", "role": "parent"}
        await parent_page.send("leave", channel="presence-online")
        left = await admin_page.wait_for(matching(type="leaving"))
        assert left["member"]["id"] == parent.id
    finally:
        await admin_page.close()
        await parent_page.close()


async def test_signed_in_users_get_events_sent_to_them_and_no_one_else(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    parent = await login(api, "parent@cams.test")
    admin = await login(api, "admin@cams.test")
    pages = [
        await echo_for(stack, who, name)
        for who, name in ((parent, "tab-1"), (parent, "tab-2"), (admin, "admin"))
    ]
    try:
        for page in pages:
            await page.send("signin")
            await page.wait_for(matching(type="message", event="pusher:signin_success"))
        sent = await npm_sdk(
            APP_ID,
            APP_KEY,
            SECRET,
            stack.realtime_port,
            "sendToUser",
            userId=str(parent.id),
            event="session-reminder",
            data={"in": "5m"},
        )
        assert sent["status"] == 200
        for tab in pages[:2]:
            got = await tab.wait_for(matching(type="user_event", event="session-reminder"))
            assert got["data"] == {"in": "5m"}
        assert pages[2].seen(matching(type="user_event", event="session-reminder")) == []
    finally:
        for page in pages:
            await page.close()


async def test_to_others_excludes_the_socket_that_caused_the_change(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    admin = await login(api, "admin@cams.test")
    first, second = await echo_for(stack, admin, "admin-1"), await echo_for(stack, admin, "admin-2")
    try:
        sockets = []
        for page in (first, second):
            await page.subscribe("private", "live-refresh.admin", events=["Note"])
            await page.wait_for(matching(type="subscribed"))
            sockets.append(page.seen(matching(type="connected"))[0]["socket_id"])
        answer = await npm_sdk(
            APP_ID,
            APP_KEY,
            SECRET,
            stack.realtime_port,
            "trigger",
            channels=["private-live-refresh.admin"],
            event="Note",
            data={"by": "first"},
            params={"socket_id": sockets[0]},
        )
        assert answer["status"] == 200
        await second.wait_for(matching(type="event", event="Note"))
        # A frame sent after the excluded one arrives at both; the first never saw "by first".
        await npm_sdk(
            APP_ID,
            APP_KEY,
            SECRET,
            stack.realtime_port,
            "trigger",
            channels=["private-live-refresh.admin"],
            event="Note",
            data={"by": "server"},
        )
        seen_by_first = await first.wait_for(matching(type="event", event="Note"))
        assert seen_by_first["data"] == {"by": "server"}
    finally:
        await first.close()
        await second.close()
