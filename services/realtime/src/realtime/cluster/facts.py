"""Lifecycle facts of the whole cluster (for webhooks): each once, whichever instances see it.

Every instance derives the same facts from the same bucket history and publishes each under an
id made of what caused it (the entry's revision and time), so JetStream's duplicate window keeps
one copy; no instance has to be elected, and none is missed when one dies. The grace (a member
gone and back, a channel vacated and occupied again) is measured in the bucket's own clock, the
server's timestamps of its entries, so that every instance decides alike: heartbeats keep that
clock moving, and an instance holding a fact asks for an early heartbeat when it falls due.

An instance that has just started cannot know which removals the others are holding back; so
for one grace it does not publish an arrival of a member or channel that had just gone (the
others publish it if it is news), and everything else it derives as they do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from contracts.realtime import (
    ChannelLifecycleEvent,
    ChannelOccupied,
    ChannelVacated,
    MemberAdded,
    MemberRemoved,
)
from realtime.cluster.view import Change

_IDS = uuid.UUID("6f1d0a52-44a1-4c55-9a37-0d7f3b1c2e90")
FactKey = tuple[str, str, str | None]  # app, channel, user (None: the channel's occupancy)


class Facts:
    def __init__(
        self,
        emit: Callable[[ChannelLifecycleEvent], None],
        grace: float,
        wake: Callable[[float], None],
    ) -> None:
        self._emit, self._grace, self._wake = emit, grace, wake
        # Removals held back by the grace, in the order they fall due (bucket seconds).
        self._held: dict[FactKey, tuple[float, ChannelLifecycleEvent]] = {}
        self._unsure: set[FactKey] = set()
        self._unsure_until = 0.0

    def start(self, newest: datetime | None, recently_gone: set[FactKey]) -> None:
        """Begin after a snapshot of the bucket whose newest entry is `newest`, in which the
        members and channels `recently_gone` went within the grace before."""
        self._held.clear()
        self._unsure = recently_gone
        self._unsure_until = newest.timestamp() + self._grace if newest else 0.0

    def resume(
        self, newest: datetime | None, recently_gone: set[FactKey], present: Callable[..., bool]
    ) -> None:
        """Go on after a reload of the view: a held removal stays held unless what it removes
        is present again (`present(app, channel, user)`); arrivals are unsure as at start."""
        self._held = {key: held for key, held in self._held.items() if not present(*key)}
        self._unsure = recently_gone
        self._unsure_until = newest.timestamp() + self._grace if newest else 0.0

    def advance(self, now: datetime) -> None:
        """The bucket's clock reached `now`: publish the held facts that fell due."""
        at = now.timestamp()
        for key, (due, event) in list(self._held.items()):
            if due > at:
                break
            del self._held[key]
            self._emit(event)

    def changed(self, change: Change, revision: int, at: datetime) -> None:
        key = (change.app_id, change.channel, change.user_id)
        if change.present and self._held.pop(key, None) is not None:
            return  # back within the grace: nothing happened
        event = _event(change, revision, at)
        if change.present:
            if key in self._unsure and at.timestamp() < self._unsure_until:
                return  # the others may be holding its removal back: theirs to say
            self._emit(event)
        else:
            self._held[key] = (at.timestamp() + self._grace, event)
            self._wake(self._grace)

    def release(self) -> None:
        """Publish every held fact now (the last instance stopping: no one else will)."""
        held, self._held = self._held, {}
        for _, event in held.values():
            self._emit(event)


def _event(change: Change, revision: int, at: datetime) -> ChannelLifecycleEvent:
    at = at.astimezone(UTC)
    cause = f"{change.app_id}\n{change.channel}\n{change.user_id}\n{revision}\n{at.isoformat()}"
    common = {"app_id": change.app_id, "channel": change.channel, "occurred_at": at}
    if change.user_id is None:
        kind: type[ChannelOccupied | ChannelVacated] = (
            ChannelOccupied if change.present else ChannelVacated
        )
        return kind(event_id=uuid.uuid5(_IDS, f"{kind.subject}\n{cause}"), **common)
    member = MemberAdded if change.present else MemberRemoved
    event_id = uuid.uuid5(_IDS, f"{member.subject}\n{cause}")
    return member(event_id=event_id, user_id=change.user_id, **common)
