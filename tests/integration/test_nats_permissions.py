"""Issue 11, finding 5: NATS users with least privilege, on a real nats-server running the very
users and permissions the dev stack and production generate from the contracts.

A refused publish is shown from both ends: the publisher hears a permissions violation, and a
subscriber allowed everything (the dev stack's operator) never receives the message."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.errors import Error as NatsError

from contracts.bookings import BOOKINGS_EVENTS, BookingCreated, CreateChild, GetSchedule
from contracts.catalogue import STREAMS
from contracts.identity import UserCreated
from contracts.live import GetContextVersions, deliver_subject, frame_subjects, relay_subject
from contracts.notifications import MarkNotificationRead, NotificationCreated
from contracts.realtime import ChannelOccupied
from contracts.trainers import CheckAssignable, TrainerAvailabilityChanged
from devstack.nats_auth import DEV_USERS, render
from devstack.nats_permissions import service_grants
from messaging.connection import Credentials, close, connect
from messaging.streams import StreamLimits, ensure_streams
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

PASSWORDS = {user: f"test-password-of-{user}" for user in DEV_USERS}
FRAME = deliver_subject("cams", "private-live-refresh.7")
SERVICES = ("gateway", "bookings", "trainers", "notifications", "realtime-edge", "realtime-router")


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[NatsServer]:
    config = render({user: json.dumps(pw) for user, pw in PASSWORDS.items()}, DEV_USERS)
    with NatsServer(tmp_path / "jetstream", config=config) as server:
        yield server


class Login:
    """A connection as one user, and the errors the server sent it."""

    def __init__(self, client: Client, errors: list[Exception]) -> None:
        self.client = client
        self.errors = errors

    def refused(self, subject: str) -> bool:
        # (the client lowercases the server's error line)
        return any(
            "permissions violation" in str(e).lower() and f'"{subject.lower()}"' in str(e).lower()
            for e in self.errors
        )


LoginAs = Callable[[str], Awaitable[Login]]


@pytest.fixture
async def login(secured: NatsServer) -> AsyncIterator[LoginAs]:
    async with AsyncExitStack() as stack:

        async def log_in(user: str) -> Login:
            errors: list[Exception] = []

            async def record(exc: Exception) -> None:
                errors.append(exc)

            client = await nats.connect(
                secured.url,
                error_cb=record,
                allow_reconnect=False,
                **Credentials(user, PASSWORDS[user]).options(),
            )
            stack.push_async_callback(client.close)
            return Login(client, errors)

        yield log_in


async def written(client: Client) -> None:
    """Until the server has what `client` sent so far. nats-py's flush writes its PING ahead of
    what is still buffered, so one round trip may overtake a SUB; the second cannot (the
    buffer went out while the first was under way)."""
    await client.flush()
    await client.flush()


async def publish_outcome(publisher: Login, watcher: Login, subject: str) -> bool:
    """Whether `subject` published by `publisher` reaches `watcher` (who may hear everything);
    a refusal must come with the server's permissions violation to the publisher."""
    heard = await watcher.client.subscribe(subject)
    await written(watcher.client)
    await publisher.client.publish(subject, b"{}")
    await publisher.client.flush()

    async def settled() -> str | None:
        if heard.pending_msgs:
            return "heard"
        return "refused" if publisher.refused(subject) else None

    outcome = await eventually(settled, timeout=30)
    if outcome == "refused":
        # The server refused before it told the publisher: whatever it had routed to the
        # watcher is in once the watcher's own round trip is.
        await watcher.client.flush()
        assert heard.pending_msgs == 0, f"{subject}: refused, and delivered all the same"
    await heard.unsubscribe()
    return outcome == "heard"


async def refused_everywhere(login: LoginAs, subject: str, users: tuple[str, ...]) -> None:
    operator = await login("operator")
    for user in users:
        publisher = await login(user)
        assert not await publish_outcome(publisher, operator, subject), f"{user} on {subject}"


async def test_without_a_login_or_with_a_wrong_password_nats_refuses_the_connection(
    secured: NatsServer,
) -> None:
    async def quiet(_: Exception) -> None:
        pass

    for options in ({}, {"user": "gateway", "password": "not-its-password"}):
        with pytest.raises((NatsError, OSError)):
            await nats.connect(
                secured.url,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
                **options,
            )


async def test_the_gateway_sends_requests_and_publishes_identity_events_only(
    login: LoginAs,
) -> None:
    gateway, operator = await login("gateway"), await login("operator")
    assert await publish_outcome(gateway, operator, CreateChild.subject)
    assert await publish_outcome(gateway, operator, GetContextVersions.subject)
    assert await publish_outcome(gateway, operator, UserCreated.subject)
    for other_event in (BookingCreated, TrainerAvailabilityChanged, ChannelOccupied):
        assert not await publish_outcome(gateway, operator, other_event.subject)
    assert not await publish_outcome(gateway, operator, FRAME)


async def test_a_domain_service_publishes_its_own_events_and_sends_only_what_it_needs(
    login: LoginAs,
) -> None:
    bookings, trainers, operator = (
        await login("bookings"),
        await login("trainers"),
        await login("operator"),
    )
    assert await publish_outcome(bookings, operator, BookingCreated.subject)
    assert await publish_outcome(trainers, operator, TrainerAvailabilityChanged.subject)
    assert not await publish_outcome(bookings, operator, TrainerAvailabilityChanged.subject)
    assert not await publish_outcome(trainers, operator, BookingCreated.subject)
    assert not await publish_outcome(bookings, operator, UserCreated.subject)
    # The requests each sends to the other, and no request as the gateway would.
    assert await publish_outcome(bookings, operator, CheckAssignable.subject)
    assert await publish_outcome(trainers, operator, GetSchedule.subject)
    assert not await publish_outcome(bookings, operator, MarkNotificationRead.subject)
    assert not await publish_outcome(trainers, operator, CreateChild.subject)
    notifications = await login("notifications")
    assert not await publish_outcome(notifications, operator, CreateChild.subject)
    assert not await publish_outcome(notifications, operator, BookingCreated.subject)
    assert await publish_outcome(notifications, operator, NotificationCreated.subject)


async def test_only_the_realtime_router_publishes_frames(login: LoginAs) -> None:
    operator = await login("operator")
    assert await publish_outcome(await login("realtime-router"), operator, FRAME)
    await refused_everywhere(
        login, FRAME, ("gateway", "bookings", "trainers", "notifications", "realtime-edge")
    )


async def test_the_router_and_the_probe_do_only_their_own_work(login: LoginAs) -> None:
    router, probe, operator = (
        await login("realtime-router"),
        await login("devstack"),
        await login("operator"),
    )
    for subject in (CreateChild.subject, BookingCreated.subject, relay_subject("cams", "x")):
        assert not await publish_outcome(router, operator, subject)
    assert await publish_outcome(probe, operator, "$SRV.PING.bookings")
    for subject in (CreateChild.subject, FRAME, UserCreated.subject):
        assert not await publish_outcome(probe, operator, subject)


async def test_the_realtime_edge_sends_no_request_and_relays_its_own_frames(login: LoginAs) -> None:
    edge, operator = await login("realtime-edge"), await login("operator")
    for request in (CreateChild, CheckAssignable, GetContextVersions, MarkNotificationRead):
        assert not await publish_outcome(edge, operator, request.subject)
    assert await publish_outcome(edge, operator, relay_subject("cams", "presence-online"))
    assert await publish_outcome(edge, operator, ChannelOccupied.subject)
    assert not await publish_outcome(edge, operator, BookingCreated.subject)


async def test_the_edge_hears_both_kinds_of_frame_and_no_other_live_subject(login: LoginAs) -> None:
    edge, router, operator = (
        await login("realtime-edge"),
        await login("realtime-router"),
        await login("operator"),
    )
    heard = await edge.client.subscribe(frame_subjects("cams", "ch"))
    await written(edge.client)
    # The wildcard matches these too; NATS keeps them from the edge. Sent by one connection
    # before "after", they would arrive before it.
    for denied in ("live.requests.cams.ch", "live.events.cams.ch"):
        await operator.client.publish(denied, b"not for the edge")
    await operator.client.publish(deliver_subject("cams", "ch"), b"after")
    await router.client.publish(deliver_subject("cams", "ch"), b"routed")
    await edge.client.publish(relay_subject("cams", "ch"), b"relayed")
    received: list[tuple[str, bytes]] = []
    while {b"after", b"routed", b"relayed"} - {data for _, data in received}:
        msg = await heard.next_msg(timeout=30)
        received.append((msg.subject, msg.data))
    assert sorted(received) == [
        (deliver_subject("cams", "ch"), b"after"),
        (deliver_subject("cams", "ch"), b"routed"),
        (relay_subject("cams", "ch"), b"relayed"),
    ]
    assert not edge.errors


async def test_replies_go_to_each_users_own_inbox_which_no_one_else_can_read(
    login: LoginAs,
) -> None:
    gateway, bookings, trainers = (
        await login("gateway"),
        await login("bookings"),
        await login("trainers"),
    )

    async def answer(msg: nats.aio.msg.Msg) -> None:
        await msg.respond(b"answered")

    await bookings.client.subscribe(CreateChild.subject, queue="q", cb=answer)
    await written(bookings.client)
    reply = await gateway.client.request(CreateChild.subject, b"{}", timeout=2)
    assert reply.data == b"answered"
    assert reply.subject.startswith("_INBOX.gateway.")

    # Another user's inboxes, or all of them, cannot be subscribed to.
    for subject in ("_INBOX.>", "_INBOX.gateway.>"):
        await trainers.client.subscribe(subject)
        await trainers.client.flush()

        async def refused(subject: str = subject) -> bool:
            return trainers.refused(subject)

        await eventually(refused, timeout=5)
    # A responder may answer a request it got, but not publish on someone's inbox otherwise.
    operator = await login("operator")
    assert not await publish_outcome(bookings, operator, "_INBOX.gateway.forged")


async def test_a_refused_service_logs_the_violation_as_an_error(
    secured: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="messaging.connection")
    client = await connect(
        secured.url,
        "realtime",
        credentials=Credentials("realtime-edge", PASSWORDS["realtime-edge"]),
    )
    try:
        await client.publish(FRAME, b"{}")
        await client.flush()

        async def logged() -> bool:
            return any(
                r.levelno == logging.ERROR
                and "realtime-edge" in r.getMessage()
                and "permissions violation" in r.getMessage().lower()
                and FRAME in r.getMessage().lower()
                for r in caplog.records
            )

        await eventually(logged, timeout=5)
    finally:
        await close(client)


# The streams each user may update: its service's `KEEPS` (tests/unit/test_nats_users.py
# holds the grants to them).
KEEPS = {
    user: tuple(s for s in STREAMS if f"$JS.API.STREAM.UPDATE.{s.name}" in grant.publish)
    for user, grant in service_grants().items()
}


async def test_every_service_user_can_make_sure_the_streams_exist(secured: NatsServer) -> None:
    # Each in turn, as its start does: the first creates every stream, with tighter limits than
    # the later ones bring, so each later start finds the streams it does not keep changed.
    for n, user in enumerate(SERVICES):
        client = await nats.connect(secured.url, **Credentials(user, PASSWORDS[user]).options())
        limits = StreamLimits(max_bytes=(64 + n) * 1024 * 1024)
        try:
            await asyncio.wait_for(
                ensure_streams(client.jetstream(), limits=limits, keeps=KEEPS[user]), 10
            )
        finally:
            await client.close()
    # Each stream has its keeper's limits, whichever start came after it.
    client = await nats.connect(
        secured.url, **Credentials("gateway", PASSWORDS["gateway"]).options()
    )
    try:
        for n, user in enumerate(SERVICES):
            for stream in KEEPS[user]:
                if stream.dead_letters:  # kept by every consumer: the last one's
                    continue
                info = await client.jetstream().stream_info(stream.name)
                assert info.config.max_bytes == (64 + n) * 1024 * 1024, (user, stream.name)
    finally:
        await client.close()


async def test_only_the_service_that_keeps_a_stream_may_change_its_limits(
    secured: NatsServer,
) -> None:
    client = await nats.connect(
        secured.url, **Credentials("bookings", PASSWORDS["bookings"]).options()
    )
    try:
        await ensure_streams(client.jetstream(), keeps=KEEPS["bookings"])
    finally:
        await client.close()
    bigger = StreamLimits(max_bytes=600 * 1024 * 1024)
    for user in ("realtime-edge", "gateway"):
        client = await nats.connect(secured.url, **Credentials(user, PASSWORDS[user]).options())
        try:
            with pytest.raises((NatsError, TimeoutError)):
                await client.jetstream(timeout=2).update_stream(bigger.config(BOOKINGS_EVENTS))
        finally:
            await client.close()
    client = await nats.connect(
        secured.url, **Credentials("bookings", PASSWORDS["bookings"]).options()
    )
    try:
        await client.jetstream().update_stream(bigger.config(BOOKINGS_EVENTS))
        info = await client.jetstream().stream_info(BOOKINGS_EVENTS.name)
        assert info.config.max_bytes == 600 * 1024 * 1024
    finally:
        await client.close()


async def test_a_service_with_a_wrong_password_logs_the_refusal_as_an_error(
    secured: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="messaging.connection")
    wrong = Credentials("bookings", "not-its-password")
    connecting = asyncio.create_task(connect(secured.url, "bookings", credentials=wrong))
    try:

        async def logged() -> bool:
            return any(
                r.levelno == logging.ERROR
                and "bookings" in r.getMessage()
                and "authorization violation" in r.getMessage().lower()
                for r in caplog.records
            )

        await eventually(logged, timeout=10)
        assert not connecting.done()  # it keeps trying: a fixed password needs no restart
    finally:
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
