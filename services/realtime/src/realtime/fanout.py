"""Multi-node fan-out over NATS: publish every channel event to the cluster, and subscribe by
interest, one NATS subscription per channel that has local subscribers."""

import asyncio
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from opentelemetry.trace import SpanKind

from contracts.live import ChannelFrame, deliver_subject
from messaging import tracing
from messaging.codec import decode, encode
from realtime.pusher.hub import Hub
from realtime.pusher.seams import NullListener

log = logging.getLogger(__name__)

ChannelKey = tuple[str, str]


class NatsFanout(NullListener):
    """The hub's publisher (to NATS) and the occupancy half of its listener.

    Occupancy changes are queued and applied by one worker in order, so a channel vacated and
    occupied again in quick succession always ends with exactly one subscription.
    """

    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._subscriptions: dict[ChannelKey, Subscription] = {}
        self._changes: asyncio.Queue[tuple[bool, ChannelKey]] = asyncio.Queue()
        self.hub: Hub | None = None

    async def publish(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        except_socket_id: str | None,
        user_id: str | None = None,
    ) -> None:
        frame = ChannelFrame(
            app_id=app_id,
            channel=channel,
            event=event,
            data=data,
            except_socket_id=except_socket_id,
            user_id=user_id,
        )
        await self._nc.publish(
            deliver_subject(app_id, channel), encode(frame), headers=tracing.inject()
        )

    async def _on_frame(self, msg: Msg) -> None:
        frame = decode(ChannelFrame, msg.data)
        if self.hub is None:
            return
        with tracing.handle_span(msg.subject, msg.headers, kind=SpanKind.CONSUMER) as span:
            span.set_attribute("pusher.channel", frame.channel)
            span.set_attribute("pusher.event", frame.event)
            self.hub.deliver_local(
                frame.app_id,
                frame.channel,
                frame.event,
                frame.data,
                frame.except_socket_id,
                frame.user_id,
            )

    def channel_occupied(self, app_id: str, channel: str) -> None:
        self._changes.put_nowait((True, (app_id, channel)))

    def channel_vacated(self, app_id: str, channel: str) -> None:
        self._changes.put_nowait((False, (app_id, channel)))

    async def run(self) -> None:
        """Apply occupancy changes one at a time, in the order the hub made them."""
        while True:
            occupied, key = await self._changes.get()
            try:
                if occupied and key not in self._subscriptions:
                    self._subscriptions[key] = await self._nc.subscribe(
                        deliver_subject(*key), cb=self._on_frame
                    )
                elif not occupied and (subscription := self._subscriptions.pop(key, None)):
                    await subscription.unsubscribe()
            except Exception:
                log.exception("interest subscription change failed", extra={"channel": key[1]})
