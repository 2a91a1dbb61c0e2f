"""Multi-node fan-out over NATS: publish every channel event to the cluster, and subscribe by
interest, one NATS subscription per channel that has local subscribers.

An edge publishes on `live.relay` only; `live.deliver` is the router's. One subscription per
channel (`frame_subjects`) hears both."""

import asyncio
import contextlib
import logging
from collections import deque

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from opentelemetry.trace import SpanKind

from contracts.live import DELIVER_PREFIX, ChannelFrame, frame_kind, frame_subjects, relay_subject
from messaging import tracing
from messaging.cancellation import flush
from messaging.codec import decode, encode
from realtime.live_refresh.watermark import Watermark
from realtime.pusher.hub import Hub
from realtime.pusher.publication import Publication
from realtime.pusher.seams import NullListener

log = logging.getLogger(__name__)

ChannelKey = tuple[str, str]
# Routed frames remembered per channel, to drop a redelivered copy (docs/architecture.md).
RECENT_FRAMES = 32


class NatsFanout(NullListener):
    """The hub's publisher (to NATS) and the occupancy half of its listener.

    A `Publication` crosses NATS as a `ChannelFrame`: the same fields, converted here only.

    Occupancy changes are queued and applied by one worker in order, so a channel vacated and
    occupied again in quick succession always ends with exactly one subscription; the hub
    confirms a subscription to the client only once its interest subscription is in place.

    A routed frame (one with an id, on `live.deliver`) is delivered once per channel however
    often the router sends it, and moves the watermark to its position. A relayed frame's id and
    position count for nothing: an edge can neither suppress a routed frame nor move the watermark
    past frames it never saw.
    """

    def __init__(self, nc: Client, watermark: Watermark | None = None) -> None:
        self._nc = nc
        self.watermark = watermark or Watermark()
        self._subscriptions: dict[ChannelKey, Subscription] = {}
        self._recent: dict[ChannelKey, deque[str]] = {}
        self._changes: asyncio.Queue[tuple[bool, ChannelKey, asyncio.Future[None] | None]] = (
            asyncio.Queue()
        )
        self.hub: Hub | None = None

    async def publish(self, publication: Publication) -> None:
        frame = ChannelFrame(
            app_id=publication.app_id,
            channel=publication.channel,
            event=publication.event,
            data=publication.data,
            except_socket_id=publication.except_socket_id,
            user_id=publication.user_id,
        )
        await self._nc.publish(
            relay_subject(frame.app_id, frame.channel), encode(frame), headers=tracing.inject()
        )

    async def _on_frame(self, msg: Msg) -> None:
        kind = frame_kind(msg.subject)
        if self.hub is None or kind is None:  # not a frame: another `live.` subject matched
            return
        frame = decode(ChannelFrame, msg.data)
        routed = kind == DELIVER_PREFIX
        if routed and frame.id is not None:
            recent = self._recent.setdefault(
                (frame.app_id, frame.channel), deque(maxlen=RECENT_FRAMES)
            )
            if frame.id in recent:
                return
            recent.append(frame.id)
        if routed and frame.position is not None:
            self.watermark.saw(frame.position)
        with tracing.handle_span(msg.subject, msg.headers, kind=SpanKind.CONSUMER) as span:
            span.set_attribute("pusher.channel", frame.channel)
            span.set_attribute("pusher.event", frame.event)
            self.hub.deliver_local(
                Publication(
                    frame.app_id,
                    frame.channel,
                    frame.event,
                    frame.data,
                    frame.except_socket_id,
                    frame.user_id,
                )
            )

    def channel_occupied(self, app_id: str, channel: str) -> asyncio.Future[None]:
        """Queue the interest subscription; the future is done once NATS has it."""
        live: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._changes.put_nowait((True, (app_id, channel), live))
        return live

    def channel_vacated(self, app_id: str, channel: str) -> None:
        self._changes.put_nowait((False, (app_id, channel), None))

    async def run(self) -> None:
        """Apply occupancy changes in the order the hub made them, a batch at a time, and
        confirm each batch with one round trip to the server."""
        while True:
            batch = [await self._changes.get()]
            while not self._changes.empty():
                batch.append(self._changes.get_nowait())
            for occupied, key, _ in batch:
                await self._apply(occupied, key)
            with contextlib.suppress(Exception):  # NATS away: confirm anyway, frames resume later
                await flush(self._nc, timeout=2)  # cancelled on stop: shielded
            for _, _, live in batch:
                if live is not None and not live.done():
                    live.set_result(None)

    async def _apply(self, occupied: bool, key: ChannelKey) -> None:
        try:
            if occupied and key not in self._subscriptions:
                self._subscriptions[key] = await self._nc.subscribe(
                    frame_subjects(*key), cb=self._on_frame
                )
            elif not occupied and (subscription := self._subscriptions.pop(key, None)):
                self._recent.pop(key, None)
                await subscription.unsubscribe()
        except Exception:
            log.exception("interest subscription change failed", extra={"channel": key[1]})
