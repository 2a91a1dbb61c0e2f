"""The `webhook_sender` handler: POSTs each lifecycle fact to its app's endpoints.

Any failure raises, so the durable consumer naks with backoff and tries again (dead letter
after max_deliver). Endpoints that already took an event are not sent it again on a retry.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable

import httpx

from contracts.envelope import Event
from contracts.realtime import ChannelLifecycleEvent
from realtime.pusher.metrics import Metrics
from realtime.webhooks.config import WebhookApp, WebhookTarget
from realtime.webhooks.payload import NAMES, signed_headers, webhook_body

log = logging.getLogger(__name__)

DURABLE = "webhook_sender"
REMEMBERED_EVENTS = 10_000


class WebhookRejected(Exception):
    """An endpoint failed or answered other than 2xx; the event is retried."""


class WebhookSender:
    def __init__(
        self, apps: Iterable[WebhookApp], client: httpx.AsyncClient, metrics: Metrics
    ) -> None:
        self._apps = {app.id: app for app in apps if app.targets}
        self._client = client
        self._metrics = metrics
        # event id -> urls that already took it; a retry only goes to the others.
        self._delivered: OrderedDict[str, set[str]] = OrderedDict()

    async def handle(self, event: Event) -> None:
        if not isinstance(event, ChannelLifecycleEvent):
            return
        app = self._apps.get(event.app_id)
        if app is None:
            return
        name = NAMES[type(event)]
        targets = [t for t in app.targets if t.wants(name)]
        delivered = self._remember(str(event.event_id), app.id)
        failures: list[str] = []
        for target in targets:
            if target.url in delivered:
                continue
            try:
                await self._post(app, target, event)
            except (httpx.HTTPError, WebhookRejected) as exc:
                self._metrics.webhook_deliveries.labels(app.id, "error").inc()
                failures.append(f"{target.url}: {exc!r}")
                continue
            self._metrics.webhook_deliveries.labels(app.id, "ok").inc()
            delivered.add(target.url)
        if failures:
            raise WebhookRejected("; ".join(failures))
        self._delivered.pop(str(event.event_id), None)

    async def _post(
        self, app: WebhookApp, target: WebhookTarget, event: ChannelLifecycleEvent
    ) -> None:
        body = webhook_body(event)
        response = await self._client.post(
            target.url, content=body, headers=signed_headers(app, body)
        )
        if not response.is_success:
            raise WebhookRejected(f"HTTP {response.status_code}")

    def _remember(self, event_id: str, app_id: str) -> set[str]:
        delivered = self._delivered.get(event_id)
        if delivered is not None:
            self._metrics.webhook_retries.labels(app_id).inc()
            return delivered
        delivered = self._delivered[event_id] = set()
        if len(self._delivered) > REMEMBERED_EVENTS:
            self._delivered.popitem(last=False)
        return delivered
