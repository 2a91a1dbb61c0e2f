"""Signed calls to the Pusher HTTP API: the signature covers the method, the path and the
sorted query, which carries the key, a timestamp and the body's MD5."""

import hashlib
import time
from collections.abc import Mapping

from pusher_signing.digest import hmac_hex, same

API_TIMESTAMP_TOLERANCE_S = 600


def sign_request(secret: str, method: str, path: str, params: Mapping[str, str]) -> str:
    """The `auth_signature` of a call: every query parameter but itself, sorted, unescaped."""
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "auth_signature")
    return hmac_hex(secret, f"{method.upper()}\n{path}\n{query}")


def request_refusal(
    secret: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> str | None:
    """Why a call signed with `secret` must be refused, or None when it is signed correctly.
    `params` are the query's, names in lower case; the caller found `secret` by `auth_key`."""
    try:
        timestamp = int(params.get("auth_timestamp", ""))
    except ValueError:
        return "Missing or invalid auth_timestamp"
    current = time.time() if now is None else now
    if abs(current - timestamp) > API_TIMESTAMP_TOLERANCE_S:
        return f"Timestamp expired: more than {API_TIMESTAMP_TOLERANCE_S} s from server time"
    if params.get("auth_version", "1.0") != "1.0":
        return "Unsupported auth_version"
    if body and params.get("body_md5") != hashlib.md5(body).hexdigest():
        return "body_md5 does not match the body"
    if not same(params.get("auth_signature", ""), sign_request(secret, method, path, params)):
        return "Invalid signature"
    return None
