"""The hub with other instances' members merged in (a fake cluster view, no sockets): one
member per user wherever connected, removal only after the grace, limits counted everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from realtime.pusher import App, AppRegistry, Hub, ServerConfig, sign_channel
from realtime.pusher.connection import PusherConnection

APP = App("1", "k", "s")
ROOM = "presence-room"


class OtherInstances:
    """A `ClusterView` whose other instances' members the test sets."""

    def __init__(self, removal_grace: float = 0.0) -> None:
        self.removal_grace = removal_grace
        self.elsewhere: dict[str, Any] = {}
        self.known: list[asyncio.Future[None]] = []

    def changed(self, app_id: str, channel: str) -> asyncio.Future[None]:
        self.known.append(asyncio.get_running_loop().create_future())
        return self.known[-1]

    def members(self, app_id: str, channel: str) -> Mapping[str, Any]:
        return self.elsewhere

    def subscriptions(self, app_id: str, channel: str) -> int:
        return len(self.elsewhere)

    def channels(self, app_id: str) -> Iterable[str]:
        return [ROOM] if self.elsewhere else []

    def terminate(self, app_id: str, user_id: str, code: int, reason: str) -> None:
        return None

    def all_known(self) -> None:
        for future in self.known:
            if not future.done():
                future.set_result(None)


class Link:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def write(self, frame: bytes) -> None:
        length = frame[1] & 0x7F
        self.frames.append(orjson.loads(frame[{126: 4, 127: 10}.get(length, 2) :]))

    def close(self, code: int, reason: str) -> None:
        raise AssertionError("not expected")

    def events(self) -> list[str]:
        return [frame["event"] for frame in self.frames]


def joined(hub: Hub, user: str, config: ServerConfig | None = None) -> Link:
    link = Link()
    connection = PusherConnection(hub, APP, config or ServerConfig(), link)
    connection.start()
    member = orjson.dumps({"user_id": user, "user_info": {"name": user}}).decode()
    auth = sign_channel(APP, connection.socket_id, ROOM, member)
    subscribe = {"channel": ROOM, "channel_data": member, "auth": auth}
    connection.on_message(orjson.dumps({"event": "pusher:subscribe", "data": subscribe}))
    return link


def hub_with(others: OtherInstances) -> Hub:
    hub = Hub(AppRegistry([APP]))
    hub.cluster = others
    return hub


async def test_members_elsewhere_are_members_here_and_leave_after_the_grace() -> None:
    others = OtherInstances(removal_grace=0.05)
    others.elsewhere = {"alice": {"name": "alice"}}
    hub = hub_with(others)
    bob = joined(hub, "bob")
    await asyncio.sleep(0)
    assert "pusher_internal:subscription_succeeded" not in bob.events()  # not known yet
    others.all_known()
    await asyncio.sleep(0)
    presence = orjson.loads(bob.frames[-1]["data"])["presence"]
    assert presence == {
        "ids": ["alice", "bob"],
        "hash": {"alice": {"name": "alice"}, "bob": {"name": "bob"}},
        "count": 2,
    }

    others.elsewhere = {}  # alice's last connection elsewhere went ...
    hub.cluster_changed(APP.id, ROOM, "alice")
    others.elsewhere = {"alice": {"name": "alice"}}  # ... and she is back within the grace
    hub.cluster_changed(APP.id, ROOM, "alice")
    others.elsewhere = {"carol": {"name": "carol"}}
    hub.cluster_changed(APP.id, ROOM, "carol")
    hub.cluster_changed(APP.id, ROOM, "alice")  # now for good
    await asyncio.sleep(0.1)

    added, removed = "pusher_internal:member_added", "pusher_internal:member_removed"
    assert bob.events()[-2:] == [added, removed]
    assert [orjson.loads(f["data"])["user_id"] for f in bob.frames[-2:]] == ["carol", "alice"]
    assert hub.members_of(APP.id, ROOM).keys() == {"bob", "carol"}


async def test_the_presence_limit_counts_members_on_every_instance() -> None:
    others = OtherInstances()
    others.elsewhere = {"alice": {}, "bob": {}}
    hub = hub_with(others)

    carol = joined(hub, "carol", ServerConfig(max_presence_members=2))

    assert carol.events() == ["pusher:connection_established", "pusher:subscription_error"]
    assert carol.frames[-1]["data"]["type"] == "LimitReached"
