"""A durable pull consumer that hands a whole fetched batch to one handler.

For a handler whose cost is round trips, not CPU (the live refresh router): it pipelines the
work of many events and answers, per event, whether it is done. Done events are acked, the others
nak'ed with a back-off and redelivered alone, so the handler must be idempotent per event. An
undecodable event, or one that fails `max_deliver` times, goes to the dead-letter subject like
`DurableConsumer`'s, and the ones beside it flow.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from contracts.catalogue import event_for
from contracts.envelope import Event
from contracts.streams import StreamSpec
from messaging.codec import decode
from messaging.consumer import DurableConsumer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    event: Event
    subject: str
    headers: Mapping[str, str] | None


BatchHandler = Callable[[Sequence[Received]], Awaitable[Sequence[bool]]]


class BatchConsumer(DurableConsumer):
    def __init__(
        self,
        js: JetStreamContext,
        stream: StreamSpec,
        durable: str,
        handler: BatchHandler,
        **options: Any,  # DurableConsumer's: subjects, max_deliver, batch (256 here), ack_wait...
    ) -> None:
        super().__init__(js, stream, durable, _unused, **{"batch": 256, **options})
        self._batch_handler = handler

    async def _settle(self, messages: list[Msg]) -> None:
        try:
            await self._process_batch(messages)
        except Exception:
            # A settle lost to a NATS outage: JetStream redelivers after ack_wait.
            log.exception("consumer %s could not settle a batch", self._durable)
        finally:
            self._unsettled = []

    async def _process_batch(self, messages: Sequence[Msg]) -> None:
        decoded: list[tuple[Msg, Received]] = []
        for msg in messages:
            contract = event_for(msg.subject)
            try:
                if contract is None:
                    raise ValueError(f"no contract for subject {msg.subject}")
                event = decode(contract, msg.data)
            except (ValueError, ValidationError) as exc:
                await self._dead_letter(msg, f"undecodable: {exc}")
                continue
            decoded.append((msg, Received(event, msg.subject, msg.headers)))
        if not decoded:
            return
        try:
            async with asyncio.timeout(self._max_handle_seconds):
                outcome = list(await self._batch_handler([received for _, received in decoded]))
            failure: BaseException | None = None
        except Exception as exc:
            log.exception("consumer %s failed on a batch of %d", self._durable, len(decoded))
            outcome, failure = [False] * len(decoded), exc
        for (msg, _), done in zip(decoded, outcome, strict=True):
            if done:
                await msg.ack()
                continue
            delivered = msg.metadata.num_delivered
            if delivered >= self._max_deliver:
                await self._dead_letter(msg, f"failed {delivered} times: {failure!r}")
            else:
                await msg.nak(delay=min(0.2 * 2**delivered, 10.0))


async def _unused(event: Event) -> None:
    raise AssertionError("a BatchConsumer hands batches to its batch handler")
