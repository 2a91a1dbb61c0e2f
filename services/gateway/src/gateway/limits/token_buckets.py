"""Attempts per key within a sliding window, as token buckets kept in this process.

A bucket holds `capacity` tokens and refills at `capacity / window` tokens a second, so a key
gets at most `capacity` attempts in a burst and `capacity` per window after that. Only the most
recently used `max_keys` buckets are kept: a forgotten bucket is a full one, so memory stays
bounded whatever keys a client invents (the per-address limit still applies to it).
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


def refilled(tokens: float, elapsed: float, capacity: float, rate: float) -> float:
    """A bucket's tokens `elapsed` seconds after it held `tokens`."""
    return min(capacity, tokens + elapsed * rate)


def seconds_to_a_token(tokens: float, rate: float) -> float:
    """How long until a bucket holding `tokens` has one (0: it has one now)."""
    return 0.0 if tokens >= 1 else (1 - tokens) / rate


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(
        self,
        capacity: int,
        window_seconds: float,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_seconds(self, key: str) -> float:
        """How long until `key` has a token (0: it has one now)."""
        return seconds_to_a_token(self._refilled(key).tokens, self.rate)

    def take(self, key: str) -> None:
        """Spend one of `key`'s tokens; call after `wait_seconds` said 0."""
        self._refilled(key).tokens -= 1

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = refilled(bucket.tokens, now - bucket.updated, self.capacity, self.rate)
            bucket.updated = now
        return bucket


def retry_after(seconds: float) -> int:
    """Whole seconds for a `Retry-After` header: never 0, or the client would retry at once."""
    return max(1, math.ceil(seconds))
