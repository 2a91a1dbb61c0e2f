"""Every signature agrees with the official `pusher` SDK, and verification refuses tampering."""

import base64
import time

import pusher
from pusher.http import GET, POST, Request

from pusher_signing import (
    request_refusal,
    shared_secret,
    sign_channel,
    sign_request,
    sign_user,
    verify_channel,
    verify_user,
)

KEY, SECRET, MASTER_KEY = "key", "secret", bytes(range(32))
SDK = pusher.Pusher(
    app_id="1001",
    key=KEY,
    secret=SECRET,
    encryption_master_key_base64=base64.b64encode(MASTER_KEY).decode(),
)


def test_a_private_channel_is_signed_as_the_sdk_signs_it() -> None:
    signed = SDK.authenticate("private-a", "1.2")

    assert sign_channel(KEY, SECRET, "1.2", "private-a") == signed["auth"]
    assert verify_channel(KEY, SECRET, "1.2", "private-a", signed["auth"])
    assert not verify_channel(KEY, SECRET, "1.3", "private-a", signed["auth"])
    assert not verify_channel(KEY, "other", "1.2", "private-a", signed["auth"])


def test_a_presence_signature_covers_channel_data_byte_for_byte() -> None:
    signed = SDK.authenticate("presence-a", "1.2", {"user_id": "7", "user_info": {"n": 1}})
    data = signed["channel_data"]

    assert sign_channel(KEY, SECRET, "1.2", "presence-a", data) == signed["auth"]
    assert verify_channel(KEY, SECRET, "1.2", "presence-a", signed["auth"], data)
    assert not verify_channel(KEY, SECRET, "1.2", "presence-a", signed["auth"], data + " ")
    assert not verify_channel(KEY, SECRET, "1.2", "presence-a", signed["auth"])


def test_a_user_sign_in_is_signed_as_the_sdk_signs_it() -> None:
    signed = SDK.authenticate_user("1.2", {"id": "7", "user_info": {"name": "Ada"}})

    assert sign_user(KEY, SECRET, "1.2", signed["user_data"]) == signed["auth"]
    assert verify_user(KEY, SECRET, "1.2", signed["auth"], signed["user_data"])
    assert not verify_user(KEY, SECRET, "1.2", signed["auth"], '{"id":"8"}')


def test_an_auth_that_is_not_a_string_is_refused() -> None:
    for sent in (None, 7, ["key:abc"], b"key:abc"):
        assert not verify_channel(KEY, SECRET, "1.2", "private-a", sent)
        assert not verify_user(KEY, SECRET, "1.2", sent, "{}")


def test_the_encrypted_channel_key_is_the_sdks() -> None:
    signed = SDK.authenticate("private-encrypted-a", "1.2")

    assert shared_secret(MASTER_KEY, "private-encrypted-a") == signed["shared_secret"].decode()
    assert shared_secret(MASTER_KEY, "private-encrypted-b") != signed["shared_secret"].decode()


def _query(request: Request) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in request.query_string.split("&"))


def test_an_api_call_the_sdk_signs_is_accepted() -> None:
    for method, path, params in (
        (POST, "/apps/1001/events", {"name": "e", "channels": ["a"], "data": "{}"}),
        (GET, "/apps/1001/channels", {"filter_by_prefix": "presence-", "info": "user_count"}),
    ):
        request = Request(SDK._pusher_client, method, path, params)
        query = _query(request)

        assert sign_request(SECRET, method, path, query) == query["auth_signature"]
        assert request_refusal(SECRET, method, path, query, request.body) is None


def test_a_tampered_api_call_is_refused_with_the_reason() -> None:
    request = Request(SDK._pusher_client, POST, "/apps/1001/events", {"name": "e", "data": "{}"})
    query, body, path = _query(request), request.body, "/apps/1001/events"

    assert request_refusal(SECRET, POST, path, query, body + b" ") == (
        "body_md5 does not match the body"
    )
    assert request_refusal(SECRET, POST, "/apps/1002/events", query, body) == "Invalid signature"
    assert request_refusal("other", POST, path, query, body) == "Invalid signature"
    assert request_refusal(SECRET, POST, path, query, body, now=time.time() + 601) == (
        "Timestamp expired: more than 600 s from server time"
    )
    assert request_refusal(SECRET, POST, path, {**query, "auth_timestamp": "soon"}, body) == (
        "Missing or invalid auth_timestamp"
    )
    assert request_refusal(SECRET, POST, path, {**query, "auth_version": "2.0"}, body) == (
        "Unsupported auth_version"
    )
