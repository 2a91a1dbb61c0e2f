"""Starting the `webhook_sender` durable consumer on REALTIME_EVENTS."""

from __future__ import annotations

from collections.abc import Iterable

import httpx
from nats.js import JetStreamContext

from contracts.realtime import REALTIME_EVENTS
from messaging.consumer import DurableConsumer
from realtime.pusher.metrics import Metrics
from realtime.webhooks.config import WebhookApp
from realtime.webhooks.sender import DURABLE, WebhookSender
from runtime.process import Running


def start_webhooks(
    running: Running,
    js: JetStreamContext,
    apps: Iterable[WebhookApp],
    metrics: Metrics,
    *,
    max_deliver: int,
    timeout: float,
) -> None:
    # The consumer runs even when no app has webhooks, so that its position moves on and
    # enabling a webhook later does not replay the stream's whole history to it.
    client = httpx.AsyncClient(timeout=timeout)
    running.closers.append(client.aclose)
    sender = WebhookSender(apps, client, metrics)
    consumer = DurableConsumer(js, REALTIME_EVENTS, DURABLE, sender.handle, max_deliver=max_deliver)
    running.spawn(consumer.run(), "webhooks")
