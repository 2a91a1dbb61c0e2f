"""REST fuzzing from the gateway's own OpenAPI document (schemathesis): every operation, as each
role and without a token, with valid and invalid inputs, against the real gateway and the
services behind it. Every answer must be documented (status code, content type, body schema)
and none may be a 5xx other than a documented 503.

Bounded and repeatable: a fixed number of examples per operation and generation mode, drawn
from a fixed seed (derandomize), no shrinking, and one answer awaited at most `TIMEOUT` seconds.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from realtime.bootstrap import start as start_realtime
from realtime.settings import RealtimeSettings
from testkit.conftest_plugin import DatabaseFor
from testkit.nats_server import NatsServer
from testkit.ports import free_port

from .conftest import BUSINESS_TIME_ZONE, Stack, running_bookings, running_gateway, running_trainers
from .test_notifications_api import running_notifications

EXAMPLES_PER_MODE = 8
TIMEOUT = 10.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SIGN_IN = {
    "admin": "admin@cams.test",
    "parent": "parent@cams.test",
    "trainer": "trainer@cams.test",
}


@pytest.fixture
async def full_stack(
    nats_server: NatsServer, database_url: str, database_for: DatabaseFor
) -> AsyncIterator[Stack]:
    url = nats_server.url
    databases = {n: await database_for(n) for n in ("bookings", "trainers", "notifications")}
    async with (
        running_bookings(url, databases["bookings"]) as booked,
        running_trainers(url, databases["trainers"], business_time_zone=BUSINESS_TIME_ZONE) as t,
        running_notifications(url, databases["notifications"]),
        _running_realtime(url),
        running_gateway(
            url, database_url, request_timeout_seconds=5.0, business_time_zone=BUSINESS_TIME_ZONE
        ) as (client, gateway_settings),
    ):
        yield Stack(client, gateway_settings, booked, t, databases)


@asynccontextmanager
async def _running_realtime(nats_url: str) -> AsyncIterator[None]:
    """Realtime, which answers the live-refresh versions; its own ports are not used here."""
    running = await start_realtime(
        RealtimeSettings(NATS_URL=nats_url, port=free_port(), metrics_port=0)
    )
    try:
        yield
    finally:
        await running.stop()


def _fuzz(root: str, headers: dict[str, str]) -> list[str]:
    """Every operation's failures, one line each; none when all answers were as documented."""
    schema = schemathesis.openapi.from_url(f"{root}/openapi.json", timeout=TIMEOUT)
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                exercise = _exercise(operation, mode, root, headers, session)
                try:
                    exercise()
                except Unsatisfiable:
                    pass  # nothing to make invalid: an operation without parameters or body
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
                    failures.append(f"{operation.label} ({mode.value}): {_summary(exc)}")
    return failures


def _summary(exc: BaseException) -> str:
    """The failure without the reproduction hints, which repeat the token."""
    text = str(exc).split("Reproduce with:")[0]
    return " ".join(text.split())[:600]


def _exercise(
    operation: Any,
    mode: GenerationMode,
    root: str,
    headers: dict[str, str],
    session: requests.Session,
) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Any) -> None:
        response = case.call(base_url=root, session=session, headers=headers, timeout=TIMEOUT)
        case.validate_response(response, checks=CHECKS)

    return exercise  # type: ignore[no-any-return]


@pytest.mark.parametrize("role", [None, *SIGN_IN])
async def test_every_operation_answers_as_its_openapi_document_says(
    full_stack: Stack, role: str | None
) -> None:
    headers = {} if role is None else (await full_stack.login(SIGN_IN[role])).headers
    root = f"http://127.0.0.1:{full_stack.settings.port}"
    # Blocking HTTP in a thread: the gateway serves on this test's event loop.
    failures = await asyncio.to_thread(_fuzz, root, headers)
    assert not failures, f"{len(failures)} operations answered off their document:\n" + "\n".join(
        failures
    )
