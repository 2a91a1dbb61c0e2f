"""Bearer tokens: a token verified once is remembered, but its expiry is checked on every use,
and nothing signed otherwise or altered is ever taken."""

import time

import pytest

from contracts.envelope import Role
from gateway.security import issue_token, read_token

SECRET = "a-test-secret-of-at-least-thirty-two-bytes"


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(SECRET, 7, Role.parent, ttl_seconds=60)
    assert read_token(SECRET, token) == 7
    assert read_token(SECRET, token) == 7  # from memory now
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert read_token(SECRET, token) is None


def test_an_expired_token_is_refused_from_the_start() -> None:
    assert read_token(SECRET, issue_token(SECRET, 7, Role.parent, ttl_seconds=-5)) is None


def test_another_secret_or_an_altered_token_is_refused() -> None:
    token = issue_token(SECRET, 7, Role.parent, ttl_seconds=60)
    assert read_token(SECRET, token) == 7
    assert read_token(SECRET + "-rotated", token) is None
    header, claims, signature = token.split(".")
    altered = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert read_token(SECRET, f"{header}.{claims}.{altered}") is None
    assert read_token(SECRET, "not a token") is None
