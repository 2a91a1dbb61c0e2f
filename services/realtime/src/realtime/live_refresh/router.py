"""Turns domain events into LiveRefreshContextsUpdated frames on the recipients' channels.

A batch of events goes out in three pipelined steps, none of which waits on another recipient:

1. every (recipient, context) version is bumped at once (`ContextVersionStore.bump`);
2. each recipient whose bumps all landed gets its frame, carrying those versions, published in
   the order of the events;
3. the caller acks the events whose every recipient is done and naks the others. No flush
   waits in between: the acks leave on the same connection after the frames, so the server
   has every frame of an event before its ack, and a router that dies sooner loses both.

A redelivered event repeats all three: the versions bucket drops the repeated bumps and answers
the first revisions, and an edge drops a frame whose (channel, event) it has delivered, so only
what was not done takes effect (docs/architecture.md, "The live refresh router").
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from nats.aio.client import Client

from contracts.envelope import Event
from contracts.live import (
    ADMIN_CHANNEL,
    LIVE_REFRESH_EVENT,
    ChannelFrame,
    Context,
    deliver_subject,
    user_channel,
)
from messaging import tracing
from messaging.batch_consumer import Received
from messaging.codec import encode
from realtime.live_refresh.metrics import LiveRefreshMetrics
from realtime.live_refresh.triggers import resolve
from realtime.live_refresh.versions import Bump, ContextVersionStore


@dataclass(frozen=True, slots=True)
class _Recipient:
    channel: str
    contexts: tuple[Context, ...]
    first_bump: int  # index of its first bump


class LiveRefreshRouter:
    """The batch handler of the `realtime_router` durable consumers (one per event stream)."""

    def __init__(
        self,
        nc: Client,
        versions: ContextVersionStore,
        app_id: str,
        metrics: LiveRefreshMetrics | None = None,
    ) -> None:
        self._nc = nc
        self._versions = versions
        self._app_id = app_id
        self._metrics = metrics
        # One batch at a time per process, whichever stream it came from: a recipient's frames
        # leave in the order of their versions, which the edges' watermark relies on.
        self._one_at_a_time = asyncio.Lock()

    async def route(self, batch: Sequence[Received]) -> list[bool]:
        """Send every event's frames; per event, whether all its recipients are done."""
        async with self._one_at_a_time:
            done = await self._route(batch)
        if self._metrics is not None:
            now = datetime.now(UTC)
            for received, ok in zip(batch, done, strict=True):
                self._metrics.routed.labels("done" if ok else "retried").inc()
                if ok:
                    lag = (now - received.event.occurred_at).total_seconds()
                    self._metrics.router_lag.observe(max(lag, 0.0))
        return done

    async def _route(self, batch: Sequence[Received]) -> list[bool]:
        recipients: list[list[_Recipient]] = []
        bumps: list[Bump] = []
        for received in batch:
            mine: list[_Recipient] = []
            recipients.append(mine)
            delivery = resolve(received.event)
            if delivery is None:
                continue
            channels = [user_channel(uid) for uid in sorted(delivery.user_ids)]
            if delivery.admins:
                channels.append(ADMIN_CHANNEL)
            cause = str(received.event.event_id)
            for channel in channels:
                mine.append(_Recipient(channel, delivery.contexts, len(bumps)))
                bumps.extend(Bump(channel, context, cause) for context in delivery.contexts)

        versions = await self._versions.bump(bumps) if bumps else []
        done = [True] * len(batch)
        for index, (received, mine) in enumerate(zip(batch, recipients, strict=True)):
            if not mine:
                continue
            # One span per event, its context carried by every frame it sends.
            with tracing.handle_span(received.subject, received.headers):
                headers = tracing.inject()
                for recipient in mine:
                    end = recipient.first_bump + len(recipient.contexts)
                    landed = [v for v in versions[recipient.first_bump : end] if isinstance(v, int)]
                    if len(landed) < len(recipient.contexts):
                        done[index] = False
                    else:
                        await self._publish(received.event, recipient, landed, headers)
        return done

    async def _publish(
        self,
        event: Event,
        recipient: _Recipient,
        versions: Sequence[int],
        headers: dict[str, str],
    ) -> None:
        data = orjson.dumps(
            {
                "contexts": recipient.contexts,
                "versions": {c.value: v for c, v in zip(recipient.contexts, versions, strict=True)},
            }
        ).decode()
        frame = ChannelFrame(
            app_id=self._app_id,
            channel=recipient.channel,
            event=LIVE_REFRESH_EVENT,
            data=data,
            id=str(event.event_id),
            position=max(versions),
        )
        subject = deliver_subject(self._app_id, recipient.channel)
        # Buffered by nats-py, not a round trip; the batch's acks follow on this connection.
        await self._nc.publish(subject, encode(frame), headers=headers)
