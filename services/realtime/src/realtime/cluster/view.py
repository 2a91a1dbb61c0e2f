"""The replicated view: every instance's entries of the presence bucket, in memory.

Each instance feeds its own view from a watcher on the bucket, in the bucket's order, so all
views pass through the same states. It answers from memory: the members and subscriber counts
of the *other* live instances (this instance's own are the hub's, always fresher), and whether
a member or a channel is present anywhere (for webhooks). An instance counts while its heartbeat
key exists; the server removes a heartbeat that is not renewed, so the entries of an instance
that died stop counting without anyone asking it anything.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from realtime.cluster.keys import Key, Kind, parse

log = logging.getLogger(__name__)

ChannelKey = tuple[str, str]
Item = tuple[ChannelKey, str | None]  # a member, or (user None) a channel's occupancy


@dataclass(frozen=True, slots=True)
class Change:
    app_id: str
    channel: str
    user_id: str | None  # None: the channel's occupancy
    present: bool


@dataclass(slots=True)
class Applied:
    key: Key | None
    # Members that appeared on or left every other live instance (what the hub merges in).
    others: list[Change] = field(default_factory=list)
    # Members and channels that appeared on or left every live instance (what webhooks say).
    cluster: list[Change] = field(default_factory=list)
    # An instance whose heartbeat went: it stopped, or died without a word.
    departed: str | None = None


class View:
    def __init__(self, me: str) -> None:
        self.me = me
        self._alive: set[str] = set()
        self._counts: dict[ChannelKey, dict[str, int]] = {}
        self._members: dict[ChannelKey, dict[str, dict[str, Any]]] = {}
        self._held: dict[str, dict[str, Key]] = {}  # instance -> bucket key -> its entry
        self._positions: dict[str, int] = {}  # instance -> position in its last heartbeat

    # -- the other instances, for the hub and the HTTP API ---------------------------------

    def members(self, app_id: str, channel: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for user_id, holders in self._members.get((app_id, channel), {}).items():
            for instance, info in holders.items():
                if self._other(instance):
                    found[user_id] = info
                    break
        return found

    def subscriptions(self, app_id: str, channel: str) -> int:
        counts = self._counts.get((app_id, channel), {})
        return sum(count for instance, count in counts.items() if self._other(instance))

    def channels(self, app_id: str) -> list[str]:
        return [
            channel
            for (app, channel), counts in self._counts.items()
            if app == app_id and any(self._other(i) and n > 0 for i, n in counts.items())
        ]

    # -- instances ------------------------------------------------------------------------

    def alive(self) -> set[str]:
        return set(self._alive)

    def present(self, app_id: str, channel: str, user_id: str | None) -> bool:
        """Whether the member (user None: the channel) is on any live instance."""
        return self._state(((app_id, channel), user_id))[1]

    def items_of(self, text: str) -> list[Item]:
        """The members and channels an entry (or, for a heartbeat, an instance) speaks for."""
        key = parse(text)
        return [] if key is None else self._items(key)

    def position_of(self, instance: str) -> int:
        """How far the instance had surely delivered at its last heartbeat (0: unknown)."""
        return self._positions.get(instance, 0)

    def channels_held_by(self, instance: str) -> dict[str, list[str]]:
        """The channels the instance has entries for, by app."""
        found: dict[str, dict[str, None]] = {}
        for key in self._held.get(instance, {}).values():
            found.setdefault(key.app_id, {})[key.channel] = None
        return {app_id: list(channels) for app_id, channels in found.items()}

    def instances_held(self) -> set[str]:
        return set(self._held)

    def orphans(self) -> list[str]:
        """Bucket keys of instances that are gone (for the janitor to remove)."""
        return [
            text
            for instance, keys in self._held.items()
            if instance not in self._alive
            for text in keys
        ]

    # -- feeding --------------------------------------------------------------------------

    def apply(self, text: str, value: bytes | None, deleted: bool) -> Applied:
        key = parse(text)
        if key is None:
            return Applied(None)
        if key.kind is Kind.INSTANCE and not deleted and value:
            with contextlib.suppress(ValueError):
                self._positions[key.instance] = int(value)
        if key.kind is Kind.INSTANCE and deleted != (key.instance in self._alive):
            return Applied(key)  # a renewed heartbeat: nothing changes
        items = self._items(key)
        before = {item: self._state(item) for item in items}
        if not self._mutate(text, key, value, deleted):
            return Applied(key)
        applied = Applied(key)
        if key.kind is Kind.INSTANCE and deleted:
            applied.departed = key.instance
        appeared: list[Change] = []
        left: list[Change] = []
        for item in items:
            (channel_key, user_id), after = item, self._state(item)
            (was_other, was_anywhere), (is_other, is_anywhere) = before[item], after
            if user_id is not None and was_other != is_other:
                applied.others.append(Change(*channel_key, user_id, is_other))
            if was_anywhere != is_anywhere:
                change = Change(*channel_key, user_id, is_anywhere)
                if user_id is None:
                    (appeared if is_anywhere else left).append(change)
                else:
                    applied.cluster.append(change)
        # A channel is occupied before its first member arrives and vacated after the last goes.
        applied.cluster = appeared + applied.cluster + left
        return applied

    def _items(self, key: Key) -> list[Item]:
        if key.kind is Kind.INSTANCE:
            held = self._held.get(key.instance, {}).values()
            items: dict[Item, None] = {}
            for entry in held:
                if entry.kind is Kind.MEMBER:
                    items[(entry.channel_key, entry.user_id)] = None
                items[(entry.channel_key, None)] = None
            return list(items)
        if key.kind is Kind.MEMBER:
            return [(key.channel_key, key.user_id), (key.channel_key, None)]
        return [(key.channel_key, None)]

    def _mutate(self, text: str, key: Key, value: bytes | None, deleted: bool) -> bool:
        if key.kind is Kind.INSTANCE:
            (self._alive.discard if deleted else self._alive.add)(key.instance)
            return True
        decoded: Any = None
        if not deleted:
            try:
                decoded = orjson.loads(value or b"null")
            except orjson.JSONDecodeError:
                log.warning("presence entry %s is not JSON; ignored", text)
                return False
        held = self._held.setdefault(key.instance, {})
        if key.kind is Kind.SUBSCRIBERS:
            counts = self._counts.setdefault(key.channel_key, {})
            if deleted or not isinstance(decoded, int):
                counts.pop(key.instance, None)
            else:
                counts[key.instance] = decoded
            _drop_empty(self._counts, key.channel_key)
        else:
            users = self._members.setdefault(key.channel_key, {})
            holders = users.setdefault(key.user_id, {})
            if deleted:
                holders.pop(key.instance, None)
            else:
                holders[key.instance] = decoded
            _drop_empty(users, key.user_id)
            _drop_empty(self._members, key.channel_key)
        if deleted:
            held.pop(text, None)
        else:
            held[text] = key
        _drop_empty(self._held, key.instance)
        if key.instance not in self._held and key.instance not in self._alive:
            self._positions.pop(key.instance, None)  # swept after it departed
        return True

    def _state(self, item: Item) -> tuple[bool, bool]:
        """(present on another live instance, present on any live instance)."""
        channel_key, user_id = item
        if user_id is not None:
            holders = self._members.get(channel_key, {}).get(user_id, {})
            return any(map(self._other, holders)), any(i in self._alive for i in holders)
        counts = self._counts.get(channel_key, {})
        occupied = any(i in self._alive and n > 0 for i, n in counts.items())
        users = self._members.get(channel_key, {})
        members = any(i in self._alive for holders in users.values() for i in holders)
        return False, occupied or members

    def _other(self, instance: str) -> bool:
        return instance != self.me and instance in self._alive


def _drop_empty(mapping: dict[Any, Any], key: Any) -> None:
    if not mapping.get(key, True):
        del mapping[key]
