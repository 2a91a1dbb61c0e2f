"""The two primitives every signature uses: HMAC-SHA256 in hex, and a constant-time compare."""

import hashlib
import hmac


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def same(given: object, expected: str) -> bool:
    """Whether `given` (anything a client sent) is `expected`, in time independent of where
    they differ."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())
