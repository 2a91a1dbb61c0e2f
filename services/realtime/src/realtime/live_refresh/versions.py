"""Per-channel context versions in NATS KV, so a client that was away learns what changed.

One key per channel and context, `{channel}.{context}`. A change is a plain put, and the version
is the revision that put gets: a number from one sequence for the whole bucket. Nothing is read
before it is written, so the router bumps every recipient of a batch in one pipelined burst.

Each put carries `Nats-Msg-Id` = `{cause}.{key}`: a redelivered event bumps nothing twice within
the bucket's duplicate window and gets the revision of its first put back, so a frame sent again
carries the same versions (docs/architecture.md, "The live refresh router").

The puts are plain publishes whose replies (JetStream's acks) come to one subscription of the
store's own, read with orjson: nats-py's `publish_async` builds a future, a dataclass and a
stdlib JSON parse per ack, a fifth of the router's work per event.
"""

import asyncio
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from contracts.envelope import Actor
from contracts.live import ADMIN_CHANNEL, Context, ContextVersions, GetContextVersions, user_channel

BUCKET = "live_refresh_versions"


def key_of(channel: str, context: Context) -> str:
    return f"{channel}.{context.value}"


@dataclass(frozen=True, slots=True)
class Bump:
    """One context of one channel changed because of `cause` (an event id)."""

    channel: str
    context: Context
    cause: str


def _outcome(future: "asyncio.Future[int]") -> int | BaseException:
    if not future.done():
        future.cancel()
        return TimeoutError("no ack from the versions bucket")
    return future.exception() or future.result()


class BumpRefused(Exception):
    """JetStream answered a put with an error (or nobody answered: no bucket)."""


class ContextVersionStore:
    def __init__(self, nc: Client, kv: KeyValue, timeout: float = 5.0) -> None:
        self._nc = nc
        self._kv = kv
        self._subject_prefix = f"$KV.{BUCKET}."
        self._timeout = timeout
        self._acks_prefix = nc.new_inbox()  # under the connection's own inbox prefix
        self._acks: Subscription | None = None
        self._waiting: dict[str, asyncio.Future[int]] = {}
        self._numbers = itertools.count()

    @classmethod
    async def open(
        cls, nc: Client, timeout: float = 5.0, replicas: int = 1
    ) -> "ContextVersionStore":
        js = nc.jetstream()
        try:
            kv = await js.key_value(BUCKET)
        except BucketNotFoundError:
            config = KeyValueConfig(bucket=BUCKET, history=1, direct=True, replicas=replicas)
            kv = await js.create_key_value(config)
        return cls(nc, kv, timeout)

    async def bump(self, bumps: Sequence[Bump]) -> list[int | BaseException]:
        """Put every bump at once, in order; each one's version, or the error that stopped it.

        One connection carries them in order, so the versions grow in the order of `bumps`.
        """
        if not bumps:
            return []
        if self._acks is None:
            self._acks = await self._nc.subscribe(f"{self._acks_prefix}.*", cb=self._on_ack)
        loop = asyncio.get_running_loop()
        replies: list[str] = []
        futures: list[asyncio.Future[int]] = []
        try:
            for bump in bumps:
                key = key_of(bump.channel, bump.context)
                reply = f"{self._acks_prefix}.{next(self._numbers)}"
                future: asyncio.Future[int] = loop.create_future()
                self._waiting[reply] = future
                replies.append(reply)
                futures.append(future)
                await self._nc.publish(
                    self._subject_prefix + key,
                    bump.cause.encode(),
                    reply=reply,
                    headers={"Nats-Msg-Id": f"{bump.cause}.{key}"},
                )
            await asyncio.wait(futures, timeout=self._timeout)
        finally:
            for reply in replies:  # a late ack then finds nobody waiting
                self._waiting.pop(reply, None)
        return [_outcome(future) for future in futures]

    async def _on_ack(self, msg: Msg) -> None:
        future = self._waiting.get(msg.subject)
        if future is None or future.done():
            return
        try:
            answer = orjson.loads(msg.data) if msg.data else None
        except orjson.JSONDecodeError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("seq"), int):
            future.set_result(answer["seq"])
            return
        error = answer.get("error") if isinstance(answer, dict) else None
        status = (msg.headers or {}).get("Status", "")  # 503: no bucket to answer
        future.set_exception(BumpRefused(str(error or status or "an empty answer")))

    async def of_channel(self, channel: str) -> dict[Context, int]:
        """Every context's version on one channel; 0 for one that never changed."""
        revisions = await asyncio.gather(*(self._revision(key_of(channel, c)) for c in Context))
        return dict(zip(Context, revisions, strict=True))

    async def _revision(self, key: str) -> int:
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:
            return 0
        return int(entry.revision or 0)

    async def for_actor(self, actor: Actor) -> dict[str, int]:
        """What one user sees: their own channel's versions and, for an admin, the admin
        channel's; both come from one sequence, so the later of the two is the version."""
        channels: Iterable[str] = (user_channel(actor.user_id),)
        if actor.is_admin:
            channels = (*channels, ADMIN_CHANNEL)
        found = await asyncio.gather(*(self.of_channel(channel) for channel in channels))
        return {c.value: max(versions[c] for versions in found) for c in Context}

    async def answer(self, request: GetContextVersions) -> ContextVersions:
        return ContextVersions(versions=await self.for_actor(request.actor))
