"""Turns domain events into LiveRefreshContextsUpdated frames on the recipients' channels."""

from collections import OrderedDict

from nats.aio.client import Client

from contracts.envelope import Event
from contracts.live import (
    ADMIN_CHANNEL,
    LIVE_REFRESH_EVENT,
    ChannelFrame,
    LiveRefreshContextsUpdated,
    deliver_subject,
    user_channel,
)
from messaging import tracing
from messaging.codec import encode
from realtime.live_refresh.triggers import resolve
from realtime.live_refresh.versions import ADMIN_KEY, ContextVersionStore, user_key

RECENT_EVENTS = 10_000


class LiveRefreshRouter:
    """Handler of the `realtime_router` durable consumers (one per event stream)."""

    def __init__(self, nc: Client, versions: ContextVersionStore, app_id: str) -> None:
        self._nc = nc
        self._versions = versions
        self._app_id = app_id
        self._recent: OrderedDict[str, None] = OrderedDict()

    def _seen(self, event: Event) -> bool:
        """A redelivered event (same id) sends no second frame."""
        key = str(event.event_id)
        if key in self._recent:
            return True
        self._recent[key] = None
        if len(self._recent) > RECENT_EVENTS:
            self._recent.popitem(last=False)
        return False

    async def handle(self, event: Event) -> None:
        delivery = resolve(event)
        if delivery is None or self._seen(event):
            return
        data = encode(LiveRefreshContextsUpdated(contexts=list(delivery.contexts))).decode()
        targets = [(user_channel(uid), user_key(uid)) for uid in sorted(delivery.user_ids)]
        if delivery.admins:
            targets.append((ADMIN_CHANNEL, ADMIN_KEY))
        for channel, key in targets:
            # Versions first: a client that reconnects after missing the frame still sees it.
            await self._versions.bump(key, delivery.contexts)
            frame = ChannelFrame(
                app_id=self._app_id, channel=channel, event=LIVE_REFRESH_EVENT, data=data
            )
            subject = deliver_subject(self._app_id, channel)
            with tracing.publish_span(subject):
                await self._nc.publish(subject, encode(frame), headers=tracing.inject())
