"""Durable JetStream pull consumers that hand typed events to a handler.

An event that cannot be decoded, or whose handler keeps failing, goes to the dead-letter
subject of its consumer instead of blocking the ones behind it.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from contracts.catalogue import event_for
from contracts.envelope import Event
from contracts.streams import StreamSpec, dead_letter_subject
from messaging import tracing
from messaging.codec import decode

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[None]]


class DurableConsumer:
    """One durable pull consumer on one stream, shared by every instance of a service."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: StreamSpec,
        durable: str,
        handler: EventHandler,
        max_deliver: int = 5,
        batch: int = 64,
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._handler = handler
        self._max_deliver = max_deliver
        self._batch = batch

    async def run(self) -> None:
        subscription = None
        backoff = 0.1
        try:
            while True:
                try:
                    if subscription is None:
                        subscription = await self._subscribe()
                    messages = await subscription.fetch(self._batch, timeout=1.0)
                    backoff = 0.1
                except (NatsTimeoutError, TimeoutError):
                    continue
                except Exception as exc:
                    log.warning("consumer %s waiting for NATS: %s", self._durable, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                for msg in messages:
                    try:
                        await self._process(msg)
                    except Exception:
                        # An ack or dead-letter publish lost to a NATS outage: JetStream
                        # redelivers after ack_wait, and handlers are idempotent.
                        log.exception("consumer %s could not settle %s", self._durable, msg.subject)
        finally:
            if subscription is not None:
                # Withdraw interest, or an open pull request keeps taking messages for an
                # inbox nobody reads until their ack_wait runs out.
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        return await self._js.pull_subscribe(
            self._stream.subjects[0],
            durable=self._durable,
            stream=self._stream.name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_deliver=-1,
            ),
        )

    async def _process(self, msg: Msg) -> None:
        contract = event_for(msg.subject)
        try:
            if contract is None:
                raise ValueError(f"no contract for subject {msg.subject}")
            event = decode(contract, msg.data)
        except (ValueError, ValidationError) as exc:
            await self._dead_letter(msg, f"undecodable: {exc}")
            return
        with tracing.handle_span(msg.subject, msg.headers):
            try:
                await self._handler(event)
            except Exception as exc:
                delivered = msg.metadata.num_delivered
                log.exception("consumer %s failed on %s", self._durable, msg.subject)
                if delivered >= self._max_deliver:
                    await self._dead_letter(msg, f"failed {delivered} times: {exc}")
                else:
                    await msg.nak(delay=min(0.2 * 2**delivered, 10.0))
                return
        await msg.ack()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        headers = dict(msg.headers or {})
        headers |= {"Cams-Original-Subject": msg.subject, "Cams-Dead-Reason": reason[:500]}
        headers.pop("Nats-Msg-Id", None)
        await self._js.publish(dead_letter_subject(self._durable), msg.data, headers=headers)
        await msg.ack()
        log.error("dead-lettered %s from %s: %s", msg.subject, self._durable, reason)
