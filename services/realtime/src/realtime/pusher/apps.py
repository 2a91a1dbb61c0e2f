"""Pusher apps (id, key, secret) and the registry that finds them by id or by key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class App:
    """One tenant: its connections, channels and API calls never mix with another app's."""

    id: str
    key: str
    secret: str
    # 32 raw bytes; only needed to hand out `shared_secret` for private-encrypted- channels.
    encryption_master_key: bytes | None = None
    # Whether clients may send client-* events (whispers); Pusher has them off unless enabled.
    client_events: bool = False
    # Whether unsigned public channels may be subscribed (the Pusher protocol allows them).
    public_channels: bool = True


class AppRegistry:
    """Every configured app, looked up by id (HTTP API) or by key (WebSocket path, auth)."""

    def __init__(self, apps: Iterable[App]) -> None:
        self._by_id: dict[str, App] = {}
        self._by_key: dict[str, App] = {}
        for app in apps:
            if app.id in self._by_id or app.key in self._by_key:
                raise ValueError(f"duplicate app id or key: {app.id!r}")
            self._by_id[app.id] = app
            self._by_key[app.key] = app

    def by_id(self, app_id: str) -> App | None:
        return self._by_id.get(app_id)

    def by_key(self, key: str) -> App | None:
        return self._by_key.get(key)

    def __iter__(self) -> Iterator[App]:
        return iter(self._by_id.values())
