"""Keys of the presence bucket: what each instance holds, one key per fact, the instance first.

`i.{instance}` is the instance's heartbeat, `s.{instance}.{app}.{channel}` its subscriber count
on a channel, `m.{instance}.{app}.{channel}.{user}` one presence member with its user_info.
A KV key allows only `[-/_=.a-zA-Z0-9]` and uses `.` between tokens, so each name is escaped:
letters, digits, `-` and `_` stay, any other byte is `=XX` (readable, and reversible).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import Enum

_PLAIN = frozenset((string.ascii_letters + string.digits + "-_").encode())


class Kind(Enum):
    INSTANCE = "i"
    SUBSCRIBERS = "s"
    MEMBER = "m"


@dataclass(frozen=True, slots=True)
class Key:
    kind: Kind
    instance: str
    app_id: str = ""
    channel: str = ""
    user_id: str = ""

    @property
    def channel_key(self) -> tuple[str, str]:
        return self.app_id, self.channel

    def __str__(self) -> str:
        tokens = [self.kind.value, escape(self.instance)]
        if self.kind is not Kind.INSTANCE:
            tokens += [escape(self.app_id), escape(self.channel)]
        if self.kind is Kind.MEMBER:
            tokens.append(escape(self.user_id))
        return ".".join(tokens)


def heartbeat(instance: str) -> Key:
    return Key(Kind.INSTANCE, instance)


def subscribers(instance: str, app_id: str, channel: str) -> Key:
    return Key(Kind.SUBSCRIBERS, instance, app_id, channel)


def member(instance: str, app_id: str, channel: str, user_id: str) -> Key:
    return Key(Kind.MEMBER, instance, app_id, channel, user_id)


def parse(text: str) -> Key | None:
    """The key a bucket key names; None for a key this module did not write."""
    tokens = text.split(".")
    sizes = {Kind.INSTANCE.value: 2, Kind.SUBSCRIBERS.value: 4, Kind.MEMBER.value: 5}
    if sizes.get(tokens[0]) != len(tokens):
        return None
    try:
        names = [unescape(token) for token in tokens[1:]]
    except ValueError:
        return None
    return Key(Kind(tokens[0]), *names)


def escape(name: str) -> str:
    return "".join(chr(b) if b in _PLAIN else f"={b:02X}" for b in name.encode())


def unescape(token: str) -> str:
    raw = bytearray()
    at = 0
    while at < len(token):
        if token[at] == "=":
            raw.append(int(token[at + 1 : at + 3], 16))
            at += 3
        else:
            raw.append(ord(token[at]))
            at += 1
    return raw.decode()
