"""Issue 11, finding 5, on the stack as `./dev up` starts it: its nats-server lets in only the
users it generated, each service runs as its own user, and nothing the services do is refused."""

import httpx
import nats
import pytest
from nats.errors import Error as NatsError

from contracts.bookings import CreateChild
from gateway.settings import GatewaySettings
from testkit.stack import RunningStack

from .conftest import login

PROBE = "nats-auth-e2e-probe"  # the name of this test's own connection, in the server's log


async def _quiet(_: Exception) -> None:
    pass


async def test_the_dev_stack_nats_refuses_a_connection_without_a_login(
    stack: RunningStack,
) -> None:
    wrong = {"user": "gateway", "password": "not-its-password"}
    for options in ({}, wrong):
        with pytest.raises((NatsError, OSError)):
            await nats.connect(
                stack.nats_url,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                connect_timeout=5,
                error_cb=_quiet,
                **options,
            )


async def test_services_work_as_their_own_users_and_nats_refuses_them_nothing(
    stack: RunningStack, api: httpx.AsyncClient
) -> None:
    parent = await login(api, "parent@cams.test")
    children = await api.get("/children", headers=parent.headers)  # gateway -> bookings
    assert children.status_code == 200, children.text
    versions = await api.get("/live-refresh/versions", headers=parent.headers)  # -> router
    assert versions.status_code == 200, versions.text
    # The sign-in was counted in the bucket the gateway's replicas share, as its own user.
    gateway = await nats.connect(stack.nats_url, **stack.nats_login("gateway"))
    try:
        bucket = f"KV_{GatewaySettings().auth_attempts_bucket}"
        stored = await gateway.jetstream().stream_info(bucket)
        assert stored.state.messages >= 2  # the address's count and the email's
    finally:
        await gateway.close()

    # Logged in as the edge, a bookings request is refused: the admin-actor request
    # cannot come from the internet-facing process.
    errors: list[Exception] = []

    async def record(exc: Exception) -> None:
        errors.append(exc)

    edge = await nats.connect(
        stack.nats_url,
        name=PROBE,
        error_cb=record,
        allow_reconnect=False,
        **stack.nats_login("realtime-edge"),
    )
    try:
        with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError)):
            await edge.request(CreateChild.subject, b"{}", timeout=2)
        assert any("permissions violation" in str(e).lower() for e in errors)
    finally:
        await edge.close()

    log = (stack.data_dir / "nats-server.log").read_text(errors="replace")
    refused = [line for line in log.splitlines() if "Violation" in line]
    assert [line for line in refused if PROBE not in line] == []
