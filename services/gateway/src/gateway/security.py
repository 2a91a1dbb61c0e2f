"""Password hashing (pwdlib, Argon2) and expiring bearer tokens (JWT, HS256)."""

import asyncio
import functools
import time
from datetime import timedelta

import jwt
from pwdlib import PasswordHash

from contracts.envelope import Role, utc_now

_hasher = PasswordHash.recommended()
ALGORITHM = "HS256"


# Argon2 takes tens of milliseconds of CPU by design; off the event loop, other requests go on.
async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown email) the same work is done on a stand-in hash,
    so the answer's timing does not tell which emails exist."""
    if password_hash is None:
        await asyncio.to_thread(_hasher.verify, password, _stand_in_hash())
        return False
    return await asyncio.to_thread(_hasher.verify, password, password_hash)


@functools.cache
def _stand_in_hash() -> str:
    return _hasher.hash("no account has this password")


def issue_token(secret: str, user_id: int, role: Role, ttl_seconds: int) -> str:
    now = utc_now()
    claims = {
        "sub": str(user_id),
        "role": role.value,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Tokens whose signature was checked, with what they say. A client sends the same token with
# every request, and decoding and verifying it was about a tenth of the gateway's CPU per
# request. Only the expiry depends on the time, and it is checked on every use; the user is
# still read again on every request (`routes.deps`). Bounded: a flood of distinct tokens only
# evicts, and costs what verifying costs.
VERIFIED_TOKENS_KEPT = 4096


def read_token(secret: str, token: str) -> int | None:
    """The user id in a valid, unexpired token; None otherwise."""
    verified = _verified(secret, token)
    if verified is None:
        return None
    user_id, expires_at = verified
    return user_id if time.time() < expires_at else None


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified(secret: str, token: str) -> tuple[int, float] | None:
    """The user id and expiry of a token signed with `secret`, whether expired or not."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"], "verify_exp": False},
        )
        return int(claims["sub"]), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
