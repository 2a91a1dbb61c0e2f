"""Multi-node fan-out over NATS: publish every channel event to the cluster, and subscribe by
interest, one NATS subscription per channel that has local subscribers."""

import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from opentelemetry.trace import SpanKind

from contracts.live import ChannelFrame, deliver_subject
from messaging import tracing
from messaging.codec import decode, encode
from realtime.pusher.hub import Hub

log = logging.getLogger(__name__)


class NatsFanout:
    """The hub's publisher (to NATS) and the occupancy half of its listener."""

    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._subscriptions: dict[tuple[str, str], Subscription] = {}
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

    async def channel_occupied(self, app_id: str, channel: str) -> None:
        key = (app_id, channel)
        if key not in self._subscriptions:
            self._subscriptions[key] = await self._nc.subscribe(
                deliver_subject(app_id, channel), cb=self._on_frame
            )

    async def channel_vacated(self, app_id: str, channel: str) -> None:
        subscription = self._subscriptions.pop((app_id, channel), None)
        if subscription is not None:
            await subscription.unsubscribe()

    # Membership and client events are not about fan-out; webhooks hear of them.
    def member_added(self, app_id: str, channel: str, user_id: str) -> None:
        return None

    def member_removed(self, app_id: str, channel: str, user_id: str) -> None:
        return None

    def client_event(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        socket_id: str,
        user_id: str | None,
    ) -> None:
        return None
