"""The Pusher protocol's HMAC-SHA256 signatures, as pure functions of keys and secrets: what an
auth endpoint signs (the gateway) and what a Pusher server verifies (realtime)."""

from pusher_signing.api import API_TIMESTAMP_TOLERANCE_S, request_refusal, sign_request
from pusher_signing.auth import (
    shared_secret,
    sign_channel,
    sign_user,
    verify_channel,
    verify_user,
)

__all__ = [
    "API_TIMESTAMP_TOLERANCE_S",
    "request_refusal",
    "shared_secret",
    "sign_channel",
    "sign_request",
    "sign_user",
    "verify_channel",
    "verify_user",
]
