"""A service waits for JetStream at start instead of crashing on its first timeout."""

import pytest
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import ServiceUnavailableError

from messaging.jetstream_start import patiently


async def test_a_call_is_repeated_while_jetstream_does_not_answer() -> None:
    failures: list[Exception] = [NatsTimeoutError(), ServiceUnavailableError()]
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return "bucket"

    assert await patiently(call, "a bucket", deadline=10) == "bucket"
    assert calls == 3


async def test_the_last_error_comes_through_after_the_deadline() -> None:
    async def call() -> str:
        raise NatsTimeoutError

    with pytest.raises(NatsTimeoutError):
        await patiently(call, "a bucket", deadline=0.5)


async def test_other_errors_are_not_retried() -> None:
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        raise ValueError("a bad configuration stays bad")

    with pytest.raises(ValueError):
        await patiently(call, "a bucket")
    assert calls == 1
