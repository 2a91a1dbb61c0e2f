"""Password hashing (pwdlib, Argon2) and expiring bearer tokens (JWT, HS256)."""

from datetime import timedelta

import jwt
from pwdlib import PasswordHash

from contracts.envelope import Role, utc_now

_hasher = PasswordHash.recommended()
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


def issue_token(secret: str, user_id: int, role: Role, ttl_seconds: int) -> str:
    now = utc_now()
    claims = {
        "sub": str(user_id),
        "role": role.value,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> int | None:
    """The user id in a valid, unexpired token; None otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        return None
