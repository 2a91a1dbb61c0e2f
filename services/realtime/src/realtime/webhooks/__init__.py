"""Pusher-style webhooks: lifecycle facts from REALTIME_EVENTS, signed and POSTed per app."""

from realtime.webhooks.config import WebhookApp, WebhookName, WebhookTarget
from realtime.webhooks.sender import WebhookRejected, WebhookSender
from realtime.webhooks.wiring import start_webhooks

__all__ = [
    "WebhookApp",
    "WebhookName",
    "WebhookRejected",
    "WebhookSender",
    "WebhookTarget",
    "start_webhooks",
]
