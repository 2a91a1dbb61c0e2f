"""Sign-in and registration attempts allowed per client address and per email (docs/security.md).

Two ways to count them, one interface (`admit`):

- `LocalAttempts`: token buckets in this process (`limits.token_buckets`). N gateway replicas
  allow N times the attempts.
- `SharedAttempts`: the same buckets kept in a NATS KV bucket that every replica reads and
  writes, each write conditional on the revision it read, so replicas allow together what one
  would. Keys are digests (no address or email is stored); a bucket entry expires a window after
  its last attempt, when it would be full again anyway. While NATS is away or does not answer
  within `timeout` the replica counts in its own process (`fallback`) rather than refuse every
  sign-in or let every one through; `gateway_auth_attempts_counted_total{where}` shows which.

An attempt refused costs nothing: both buckets are read first, and tokens are taken only when
both have one. Two replicas racing for a key's last token retry on the revision, and the loser
is refused (its address token may then be spent).
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import orjson
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from gateway.limits.token_buckets import TokenBuckets, refilled, seconds_to_a_token
from gateway.metrics import ATTEMPTS_COUNTED

log = logging.getLogger(__name__)

# A key written by another replica between our read and write: read again, this many times
# (each replica writes one attempt at a time, so this many replicas at once on one key).
CONFLICT_RETRIES = 16


class Attempts(Protocol):
    async def admit(self, address: str, email: str) -> float:
        """Take one attempt of `address` and of `email`: 0 when allowed, else the seconds until
        one would be (nothing taken)."""
        ...


@dataclass(frozen=True)
class AttemptLimits:
    per_address: int
    per_email: int
    window_seconds: float


class LocalAttempts:
    def __init__(self, limits: AttemptLimits, tracked_keys: int) -> None:
        window = limits.window_seconds
        self.by_address = TokenBuckets(limits.per_address, window, tracked_keys)
        self.by_email = TokenBuckets(limits.per_email, window, tracked_keys)

    async def admit(self, address: str, email: str) -> float:
        wait = max(self.by_address.wait_seconds(address), self.by_email.wait_seconds(email))
        if wait > 0:
            return wait
        self.by_address.take(address)
        self.by_email.take(email)
        return 0.0


@dataclass(frozen=True)
class SharedBucket:
    """Where the shared counts live (`GATEWAY_AUTH_ATTEMPTS_*` settings)."""

    name: str
    max_bytes: int
    replicas: int


@dataclass
class _Count:
    tokens: float
    revision: int | None  # None: no entry (a full bucket)


class SharedAttempts:
    def __init__(
        self,
        js: JetStreamContext,
        limits: AttemptLimits,
        bucket: SharedBucket,
        fallback: Attempts,
        timeout: float = 0.5,
        connected: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.time,  # wall time: the replicas' common clock
    ) -> None:
        self._js = js
        self._limits = limits
        self._bucket = bucket
        self._fallback = fallback
        self._timeout = timeout
        self._connected = connected
        self._clock = clock
        self._kv: KeyValue | None = None
        self._one_at_a_time = asyncio.Lock()
        self._shared = True  # whether the last attempt was counted in NATS (for the logs)

    async def admit(self, address: str, email: str) -> float:
        if not self._connected():  # no sign-in waits out a timeout while NATS is known away
            return await self._alone(address, email, "NATS is away")
        try:
            # One attempt at a time in this process: concurrent ones would only lose each
            # other's conditional writes and read again; across replicas they still may.
            async with self._one_at_a_time, asyncio.timeout(self._timeout):
                wait = await self._admit(address, email)
        except (TimeoutError, NatsError, OSError) as exc:
            self._kv = None  # opened (or created) again next time: a restarted NATS lost it
            return await self._alone(address, email, repr(exc))
        if not self._shared:
            log.warning("sign-in attempts counted in NATS again")
        self._shared = True
        ATTEMPTS_COUNTED.labels("shared").inc()
        return wait

    async def _alone(self, address: str, email: str, why: str) -> float:
        if self._shared:
            log.warning("sign-in attempts counted in this process only: %s", why)
        self._shared = False
        ATTEMPTS_COUNTED.labels("process").inc()
        return await self._fallback.admit(address, email)

    async def _admit(self, address: str, email: str) -> float:
        kv = self._kv if self._kv is not None else await self._open()
        limits = self._limits
        keys = [
            (_key("address", address), limits.per_address),
            (_key("email", email), limits.per_email),
        ]
        read = [(key, capacity, await self._read(kv, key, capacity)) for key, capacity in keys]
        wait = max(self._wait(count, capacity) for _, capacity, count in read)
        if wait > 0:
            return wait
        for key, capacity, count in read:
            wait = await self._take(kv, key, capacity, count)
            if wait > 0:
                return wait
        return 0.0

    async def _take(self, kv: KeyValue, key: str, capacity: int, count: _Count) -> float:
        """Spend one of the key's tokens, as `count` (just read) has them, or as a read after
        another replica's write does."""
        for _ in range(CONFLICT_RETRIES):
            wait = self._wait(count, capacity)
            if wait > 0:
                return wait
            value = orjson.dumps({"tokens": count.tokens - 1, "at": self._clock()})
            try:
                if count.revision is None:
                    await kv.create(key, value)
                else:
                    await kv.update(key, value, last=count.revision)
                return 0.0
            except KeyWrongLastSequenceError:
                count = await self._read(kv, key, capacity)  # another replica wrote it first
        return self._limits.window_seconds / capacity  # contended beyond reason: refuse

    async def _read(self, kv: KeyValue, key: str, capacity: int) -> _Count:
        """The key's tokens now (refilled since its last write)."""
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:  # never written, expired or deleted: full
            return _Count(float(capacity), None)
        try:
            stored = orjson.loads(entry.value or b"")
            tokens, at = float(stored["tokens"]), float(stored["at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return _Count(float(capacity), entry.revision)  # not ours: overwritten
        elapsed = max(0.0, self._clock() - at)  # another replica's clock may run ahead
        return _Count(refilled(tokens, elapsed, capacity, self._rate(capacity)), entry.revision)

    def _wait(self, count: _Count, capacity: int) -> float:
        return seconds_to_a_token(count.tokens, self._rate(capacity))

    def _rate(self, capacity: int) -> float:
        return capacity / self._limits.window_seconds

    async def _open(self) -> KeyValue:
        bucket = self._bucket
        try:
            self._kv = await self._js.key_value(bucket.name)
        except BucketNotFoundError:
            config = KeyValueConfig(
                bucket=bucket.name,
                history=1,
                ttl=self._limits.window_seconds,
                max_bytes=bucket.max_bytes,
                storage=StorageType.MEMORY,  # soft state: a NATS restart only refills buckets
                replicas=bucket.replicas,
            )
            self._kv = await self._js.create_key_value(config)
        return self._kv


def _key(kind: str, value: str) -> str:
    return f"{kind}.{hashlib.sha256(value.encode()).hexdigest()[:40]}"
