"""Per-recipient context versions in NATS KV, so a client that was away learns what changed.

Key `user.{id}` for a user's own channel, `admin` for the admin channel; the value maps each
context to a number that grows with every frame sent for it.
"""

import orjson
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from contracts.envelope import Actor
from contracts.live import Context, ContextVersions, GetContextVersions

BUCKET = "live_refresh_versions"
ADMIN_KEY = "admin"


def user_key(user_id: int) -> str:
    return f"user.{user_id}"


class ContextVersionStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> "ContextVersionStore":
        try:
            kv = await js.key_value(BUCKET)
        except Exception:
            kv = await js.create_key_value(bucket=BUCKET, history=1)
        return cls(kv)

    async def read(self, key: str) -> dict[str, int]:
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:
            return {}
        return dict(orjson.loads(entry.value or b"{}"))

    async def bump(self, key: str, contexts: tuple[Context, ...]) -> None:
        """Add one to each context; compare-and-set, so concurrent routers never lose a bump."""
        while True:
            try:
                entry = await self._kv.get(key)
                current, revision = dict(orjson.loads(entry.value or b"{}")), entry.revision
            except KeyNotFoundError:
                current, revision = {}, None
            for context in contexts:
                current[context.value] = current.get(context.value, 0) + 1
            value = orjson.dumps(current)
            try:
                if revision is None:
                    await self._kv.create(key, value)
                else:
                    await self._kv.update(key, value, last=revision)
                return
            except KeyWrongLastSequenceError:
                continue

    async def for_actor(self, actor: Actor) -> dict[str, int]:
        """What one user sees: their own channel's versions plus, for an admin, the admin's."""
        versions = await self.read(user_key(actor.user_id))
        if actor.is_admin:
            for context, count in (await self.read(ADMIN_KEY)).items():
                versions[context] = versions.get(context, 0) + count
        return {context.value: versions.get(context.value, 0) for context in Context}

    async def answer(self, request: GetContextVersions) -> ContextVersions:
        return ContextVersions(versions=await self.for_actor(request.actor))
