"""What the live refresh router publishes for one channel, heard on core NATS beside the edges:
each routed frame names its cause (the event id) and carries the versions it sets, so a test can
tell which version each event got and whether any event got two."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import nats
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts.live import ChannelFrame, deliver_subject


@dataclass
class RoutedFrames:
    app_id: str
    channel: str
    # (event id, the frame's data) per publish, a redelivered event's again
    heard: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _nc: Client | None = None

    async def start(self, nats_url: str, **login: Any) -> RoutedFrames:
        self._nc = await nats.connect(
            nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.1, **login
        )
        await self._nc.subscribe(deliver_subject(self.app_id, self.channel), cb=self._record)
        await self._nc.flush()
        return self

    async def _record(self, message: Msg) -> None:
        frame = ChannelFrame.model_validate(orjson.loads(message.data))
        self.heard.append((frame.id or "", orjson.loads(frame.data)))

    def versions_of(self, context: str) -> dict[str, set[int]]:
        """Per event id, every version of `context` its frames carried."""
        found: dict[str, set[int]] = {}
        for cause, data in self.heard:
            if context in data.get("versions", {}):
                found.setdefault(cause, set()).add(int(data["versions"][context]))
        return found

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
