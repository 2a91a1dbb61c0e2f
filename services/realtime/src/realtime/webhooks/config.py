"""Where each app's webhooks go, and which kinds of event each endpoint wants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WebhookName = Literal[
    "channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event"
]


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    event_types: frozenset[str] | None = None  # None: every kind

    def wants(self, name: str) -> bool:
        return self.event_types is None or name in self.event_types


@dataclass(frozen=True, slots=True)
class WebhookApp:
    """An app's credentials (the key goes in X-Pusher-Key, the secret signs) and endpoints."""

    id: str
    key: str
    secret: str
    targets: tuple[WebhookTarget, ...] = ()
