"""Signatures agree with the official `pusher` library, and verification refuses tampering."""

from __future__ import annotations

import base64
import json
import time

import pusher
import pytest
from pusher.http import Request

from realtime.pusher import App, AppRegistry, shared_secret, sign_channel, sign_user
from realtime.pusher.signing import verify_channel, verify_request, verify_user

APP = App("1001", "key", "secret", bytes(range(32)))
SDK = pusher.Pusher(
    app_id="1001",
    key="key",
    secret="secret",
    encryption_master_key_base64=base64.b64encode(bytes(range(32))).decode(),
)


def test_channel_signature_matches_the_sdk() -> None:
    assert sign_channel(APP, "1.2", "private-a") == SDK.authenticate("private-a", "1.2")["auth"]


def test_presence_signature_covers_channel_data() -> None:
    signed = SDK.authenticate("presence-a", "1.2", {"user_id": "7"})

    assert sign_channel(APP, "1.2", "presence-a", signed["channel_data"]) == signed["auth"]
    assert verify_channel(APP, "1.2", "presence-a", signed["auth"], signed["channel_data"])
    assert not verify_channel(APP, "1.2", "presence-a", signed["auth"], '{"user_id":"8"}')
    assert not verify_channel(APP, "9.9", "presence-a", signed["auth"], signed["channel_data"])


def test_user_signature_matches_the_sdk() -> None:
    signed = SDK.authenticate_user("1.2", {"id": "7"})

    assert sign_user(APP, "1.2", signed["user_data"]) == signed["auth"]
    assert verify_user(APP, "1.2", signed["auth"], signed["user_data"])
    assert not verify_user(APP, "1.2", None, signed["user_data"])


def test_shared_secret_matches_the_sdk() -> None:
    signed = SDK.authenticate("private-encrypted-a", "1.2")

    assert shared_secret(APP, "private-encrypted-a") == signed["shared_secret"].decode()


def test_shared_secret_needs_a_master_key() -> None:
    with pytest.raises(ValueError, match="master key"):
        shared_secret(App("2", "k", "s"), "private-encrypted-a")


def _signed_params(request: Request) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in request.query_string.split("&"))


def test_api_request_signed_by_the_sdk_is_accepted_and_tampering_refused() -> None:
    apps = AppRegistry([APP])
    request = Request(
        SDK._pusher_client,
        "POST",
        "/apps/1001/events",
        {"name": "e", "channels": ["a"], "data": "{}"},
    )
    params, body = _signed_params(request), request.body

    assert verify_request(apps, "POST", "/apps/1001/events", params, body) is APP
    assert verify_request(apps, "POST", "/apps/1001/events", params, body + b" ") == (
        "body_md5 does not match the body"
    )
    assert verify_request(apps, "POST", "/apps/1002/events", params, body) == "Invalid signature"
    assert verify_request(
        apps, "POST", "/apps/1001/events", params, body, now=time.time() + 601
    ) == ("Timestamp expired: more than 600 s from server time")
    assert (
        verify_request(apps, "POST", "/apps/1001/events", {**params, "auth_key": "x"}, body)
        == "Unknown auth_key"
    )
    assert json.loads(body)["name"] == "e"
