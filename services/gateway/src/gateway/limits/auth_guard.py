"""What stands before every password hash: a rate limit on sign-in and registration attempts,
per client address and per email (`limits.attempts`: across the replicas, or in this process),
and the bound on hashes at once (docs/security.md).

The client address is the connection's peer, or what a trusted proxy says in X-Forwarded-For
(uvicorn's proxy headers, on only when `trusted_proxies` names some).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request, status

from gateway.limits.attempts import Attempts
from gateway.limits.hash_slots import HashSlots, HashSlotsBusy
from gateway.limits.token_buckets import retry_after
from gateway.settings import GatewaySettings

# A full queue of hashes drains within a second or two: retry then.
BUSY_RETRY_AFTER_SECONDS = 1


class AuthGuard:
    def __init__(self, settings: GatewaySettings, attempts: Attempts) -> None:
        self.attempts = attempts
        self.hash_slots = HashSlots(
            settings.password_hash_concurrency, settings.password_hash_waiting
        )

    @asynccontextmanager
    async def attempt(self, request: Request, email: str) -> AsyncIterator[None]:
        """One sign-in or registration: 429 past either rate limit (an attempt refused costs
        nothing), else a hash slot."""
        address = request.client.host if request.client else "unknown"
        email = email.strip().lower()
        wait = await self.attempts.admit(address, email)
        if wait > 0:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "too many sign-in attempts; retry later",
                headers={"Retry-After": str(retry_after(wait))},
            )
        async with self.hashing():
            yield

    @asynccontextmanager
    async def hashing(self) -> AsyncIterator[None]:
        """A hash slot, or 503 with Retry-After when too many requests already wait for one."""
        try:
            async with self.hash_slots.slot():
                yield
        except HashSlotsBusy:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "too many password checks at once; retry shortly",
                headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
            ) from None
