"""Durable JetStream pull consumers that hand typed events to a handler.

- A consumer takes only the subjects it asks for (`subjects`, default the whole stream).
- While a message waits in its batch or is being handled, the consumer tells JetStream it is
  still in progress (every third of `ack_wait`), so a long handler is not redelivered under its
  own feet and no attempt is counted that did not happen.
- A batch is fetched with one pull request and collected by a callback (`messaging.pull`).
- Messages are handled one at a time, in stream order; a handler that runs longer than
  `max_handle_seconds` is cancelled and its message retried later, so one slow message holds
  back the ones behind it for at most that long.
- An event that cannot be decoded, or whose handler fails `max_deliver` times, goes to the
  dead-letter subject of its consumer, and the ones behind it flow.

Delivery is at least once. For exactly-once effects wrap the handler with
`database.inbox.exactly_once`, which commits the effect with an inbox row before the ack.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from contracts.catalogue import event_for
from contracts.envelope import Event
from contracts.streams import StreamSpec, dead_letter_subject
from messaging import tracing
from messaging.cancellation import raise_if_cancel_was_swallowed
from messaging.codec import decode
from messaging.pull import LeanPull

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[None]]


def subjects_of(*events: type[Event]) -> list[str]:
    """The subjects a consumer of these event types filters on."""
    return [event.subject for event in events]


class DurableConsumer:
    """One durable pull consumer on one stream, shared by every instance of a service."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: StreamSpec,
        durable: str,
        handler: EventHandler,
        *,
        subjects: Sequence[str] | None = None,
        max_deliver: int = 5,
        batch: int = 64,
        ack_wait: float = 30.0,
        max_handle_seconds: float = 60.0,
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._handler = handler
        self._subjects = list(subjects or stream.subjects)
        self._max_deliver = max_deliver
        self._batch = batch
        self._ack_wait = ack_wait
        self._max_handle_seconds = max_handle_seconds
        self._unsettled: list[Msg] = []

    async def run(self) -> None:
        subscription = None
        backoff = 0.1
        heartbeat = asyncio.create_task(self._keep_alive(), name=f"{self._durable}:in-progress")
        try:
            while True:
                raise_if_cancel_was_swallowed()
                try:
                    if subscription is None:
                        subscription = await self._subscribe()
                    messages = await subscription.fetch(self._batch, timeout=1.0)
                    backoff = 0.1
                    raise_if_cancel_was_swallowed()
                except (NatsTimeoutError, TimeoutError):
                    continue
                except Exception as exc:
                    log.warning("consumer %s waiting for NATS: %s", self._durable, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                self._unsettled = list(messages)
                await self._settle(messages)
        finally:
            heartbeat.cancel()
            if subscription is not None:
                # Withdraw interest, or an open pull request keeps taking messages for an
                # inbox nobody reads until their ack_wait runs out.
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def _settle(self, messages: list[Msg]) -> None:
        """Handle, then ack, nak or dead-letter each message of a fetched batch."""
        for msg in messages:
            try:
                await self._process(msg)
            except Exception:
                # An ack or dead-letter publish lost to a NATS outage: JetStream
                # redelivers after ack_wait, and handlers are idempotent.
                log.exception("consumer %s could not settle %s", self._durable, msg.subject)
            finally:
                self._unsettled.remove(msg)

    async def _subscribe(self) -> LeanPull:
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_deliver=-1,  # counted here, so that the last failure is dead-lettered
        )
        if len(self._subjects) == 1:
            config.filter_subject = self._subjects[0]
        else:
            config.filter_subjects = self._subjects
        # Creates the consumer, or updates it when its subjects or timings changed.
        await self._js.add_consumer(self._stream.name, config)
        # nats-py keeps the context's connection private; the pull needs it for its inbox.
        nc = self._js._nc
        return await LeanPull(nc, self._stream.name, self._durable).start()

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._ack_wait / 3)
            for msg in list(self._unsettled):
                with contextlib.suppress(Exception):  # NATS away: redelivery is the fallback
                    await msg.in_progress()

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
                async with asyncio.timeout(self._max_handle_seconds):
                    await self._handler(event)
            except Exception as exc:
                delivered = msg.metadata.num_delivered
                log.exception("consumer %s failed on %s", self._durable, msg.subject)
                if delivered >= self._max_deliver:
                    await self._dead_letter(msg, f"failed {delivered} times: {exc!r}")
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
