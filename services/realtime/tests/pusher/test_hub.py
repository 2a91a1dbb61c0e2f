"""The hub without sockets: one frame per broadcast, presence once per user, the two seams."""

from __future__ import annotations

import asyncio
from dataclasses import astuple

import orjson

from realtime.pusher import App, AppRegistry, Hub, Publication
from realtime.pusher.config import ServerConfig
from realtime.pusher.connection import PusherConnection

APP = App("1", "k", "s")


class FakeSocket:
    def __init__(self, socket_id: str) -> None:
        self.socket_id = socket_id
        self.frames: list[bytes] = []

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def terminate(self, code: int, reason: str) -> None:
        raise AssertionError("not expected")

    def events(self) -> list[str]:
        return [orjson.loads(payload(frame))["event"] for frame in self.frames]


def payload(frame: bytes) -> bytes:
    """The payload of an unmasked server frame."""
    length = frame[1] & 0x7F
    return frame[{126: 4, 127: 10}.get(length, 2) :]


class RecordingListener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def channel_occupied(self, app_id: str, channel: str) -> None:
        self.calls.append(("occupied", channel))

    def channel_vacated(self, app_id: str, channel: str) -> None:
        self.calls.append(("vacated", channel))

    async def member_added(self, app_id: str, channel: str, user_id: str) -> None:
        self.calls.append(("added", user_id))

    async def member_removed(self, app_id: str, channel: str, user_id: str) -> None:
        self.calls.append(("removed", user_id))

    def client_event(self, *args: object) -> None:
        self.calls.append(("client_event",))


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[object, ...]] = []

    async def publish(self, publication: Publication) -> None:
        self.published.append(astuple(publication))


def test_deliver_local_writes_the_same_frame_object_to_all_but_the_excluded() -> None:
    hub = Hub(AppRegistry([APP]))
    a, b, c = FakeSocket("1.1"), FakeSocket("1.2"), FakeSocket("1.3")
    for socket in (a, b, c):
        hub.subscribe("1", "news", socket)

    sent = hub.deliver_local(Publication("1", "news", "Flash", '{"n":1}', except_socket_id="1.2"))

    assert sent == 2 and b.frames == []
    assert a.frames[0] is c.frames[0]
    assert orjson.loads(payload(a.frames[0])) == {
        "event": "Flash",
        "channel": "news",
        "data": '{"n":1}',
    }


def test_apps_are_isolated() -> None:
    hub = Hub(AppRegistry([APP, App("2", "k2", "s2")]))
    socket = FakeSocket("1.1")
    hub.subscribe("1", "news", socket)

    assert hub.deliver_local(Publication("2", "news", "Flash", "{}")) == 0
    assert socket.frames == []


async def test_presence_member_events_once_per_user_and_listener_hears_them() -> None:
    listener = RecordingListener()
    hub = Hub(AppRegistry([APP]), listener=listener)
    tab1, tab2, bob = FakeSocket("1.1"), FakeSocket("1.2"), FakeSocket("2.1")

    hub.join("1", "presence-x", bob, "bob", {})
    hub.join("1", "presence-x", tab1, "alice", {"name": "A"})
    hub.join("1", "presence-x", tab2, "alice", {"name": "A"})
    hub.unsubscribe("1", "presence-x", tab1)
    assert bob.events() == ["pusher_internal:member_added"]
    hub.unsubscribe("1", "presence-x", tab2)
    hub.unsubscribe("1", "presence-x", bob)
    await asyncio.sleep(0)  # let the async listener methods run

    assert bob.events() == ["pusher_internal:member_added", "pusher_internal:member_removed"]
    assert tab1.events() == []  # bob was there first: his arrival is in subscription_succeeded
    # async listener methods run as tasks, so only the sync ones keep their place in line
    assert sorted(listener.calls) == sorted(
        [
            ("occupied", "presence-x"),
            ("added", "bob"),
            ("added", "alice"),
            ("removed", "alice"),
            ("removed", "bob"),
            ("vacated", "presence-x"),
        ]
    )


async def test_publish_goes_through_the_injected_publisher() -> None:
    publisher = RecordingPublisher()
    hub = Hub(AppRegistry([APP]), publisher=publisher)

    await hub.publish(Publication("1", "news", "Flash", "{}", "1.1"))

    assert publisher.published == [("1", "news", "Flash", "{}", "1.1", None)]


def test_presence_data_lists_members() -> None:
    hub = Hub(AppRegistry([APP]))
    hub.join("1", "presence-x", FakeSocket("1.1"), "7", {"name": "A"})

    assert hub.presence_data("1", "presence-x") == {
        "presence": {"ids": ["7"], "hash": {"7": {"name": "A"}}, "count": 1}
    }


class RecordingLink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, frame: bytes) -> None:
        self.frames.append(frame)

    def close(self, code: int, reason: str) -> None:
        raise AssertionError("not expected")

    def events(self) -> list[str]:
        return [orjson.loads(payload(frame))["event"] for frame in self.frames]


class SlowToTakeOn(RecordingListener):
    """A listener that needs a moment before a channel is live (as a NATS subscription does)."""

    def __init__(self) -> None:
        super().__init__()
        self.live: asyncio.Future[None] | None = None

    def channel_occupied(self, app_id: str, channel: str) -> asyncio.Future[None]:  # type: ignore[override]
        self.live = asyncio.get_running_loop().create_future()
        return self.live


async def test_subscription_is_confirmed_only_once_the_channel_is_live() -> None:
    listener = SlowToTakeOn()
    hub = Hub(AppRegistry([APP]), listener=listener)
    first, second = RecordingLink(), RecordingLink()
    connections = [PusherConnection(hub, APP, ServerConfig(), link) for link in (first, second)]
    for connection in connections:
        connection.start()
        connection.on_message('{"event":"pusher:subscribe","data":{"channel":"news"}}')
    await asyncio.sleep(0)
    assert "pusher_internal:subscription_succeeded" not in first.events() + second.events()

    assert listener.live is not None
    listener.live.set_result(None)
    await asyncio.sleep(0)
    for link in (first, second):
        assert link.events()[-1] == "pusher_internal:subscription_succeeded"


async def test_a_subscriber_that_left_before_the_channel_was_live_is_not_confirmed() -> None:
    listener = SlowToTakeOn()
    hub = Hub(AppRegistry([APP]), listener=listener)
    link = RecordingLink()
    connection = PusherConnection(hub, APP, ServerConfig(), link)
    connection.start()
    connection.on_message('{"event":"pusher:subscribe","data":{"channel":"news"}}')
    connection.on_message('{"event":"pusher:unsubscribe","data":{"channel":"news"}}')
    assert listener.live is not None
    listener.live.set_result(None)
    await asyncio.sleep(0)
    assert "pusher_internal:subscription_succeeded" not in link.events()
