"""A `Publication` crosses NATS as a `ChannelFrame` and reaches the other edge's hub unchanged."""

from dataclasses import dataclass, field
from typing import cast

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts.live import ChannelFrame, relay_subject
from messaging.codec import decode
from realtime.fanout import NatsFanout
from realtime.pusher import Hub, Publication


@dataclass
class FakeNats:
    sent: list[tuple[str, bytes]] = field(default_factory=list)

    async def publish(
        self, subject: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.sent.append((subject, payload))


@dataclass
class FakeMsg:
    subject: str
    data: bytes
    headers: dict[str, str] | None = None


@dataclass
class RecordingHub:
    delivered: list[Publication] = field(default_factory=list)

    def deliver_local(self, publication: Publication) -> int:
        self.delivered.append(publication)
        return 1


async def test_a_publication_arrives_as_an_equal_publication() -> None:
    nc, hub = FakeNats(), RecordingHub()
    fanout = NatsFanout(cast(Client, nc))
    fanout.hub = cast(Hub, hub)
    sent = Publication("cams", "presence-room.1", "client-typing", '{"x":1}', "1.2", "alice")

    await fanout.publish(sent)
    [(subject, payload)] = nc.sent
    await fanout._on_frame(cast(Msg, FakeMsg(subject, payload)))

    assert subject == relay_subject("cams", "presence-room.1")
    assert decode(ChannelFrame, payload).user_id == "alice"
    assert hub.delivered == [sent]
