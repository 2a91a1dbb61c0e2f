"""Issue 11: while a parent keeps adding children through the REST API, one part of the stack
dies (SIGKILL of the gateway, bookings, the realtime router, the realtime edge or nats-server, or
bookings' PostgreSQL connections cut) and `./dev up` restarts it. Then the run is counted
(docs/faults.md, "Killing each service"):

- **committed**: each change is a `POST /children` with its own `Idempotency-Key`, retried with
  that key until it answers 2xx; every change commits, once: a retry of a try whose outcome
  was unknown gets that try's outcome (see `count`); each child that exists is a committed change.
- **no committed change lost its event**: the `BOOKINGS_EVENTS` stream holds exactly one
  `ChildCreated` per child of the parent, and none for anything else.
- **no consumer applied one twice**: the notifications feed consumer wrote exactly one activity
  entry per event id; the realtime router gave each event one version of the parent's
  `children` context, and no two events the same (its frames are tapped on core NATS beside the
  edges: each names its event and carries its versions, a redelivered event's again).
- **every client that stayed subscribed heard every change**: an Echo client of the parent,
  subscribed before the run, must for every event e hold a frame naming `children` with
  `versions.children >= v(e)` (v(e): the version the router gave e), or a frame with `resync`.
  Versions come from one sequence and a frame carries the version its context had when it was
  sent, so such a frame was sent after e was applied, and the refetch it triggers shows e:
  frames may coalesce, but a frame that cannot prove it came after e does not count. Where the
  client's connection never dropped, it must moreover hold e's own frame
  (`versions.children == v(e)`) for every e, nothing skipped silently, and no frame twice;
  unless nats-server died: a frame in flight dies with it (core NATS keeps nothing), and a
  later frame or the edge's recovery frame covers it, as the first rule checks.
"""

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from contracts.bookings import ChildCreated
from contracts.live import user_channel
from testkit.echo import EchoClient, matching
from testkit.frame_tap import RoutedFrames
from testkit.jetstream_log import stored_messages
from testkit.mutations import MutationStream
from testkit.postgres import ADMIN_URL, fresh_database
from testkit.stack import RunningStack
from testkit.tcp_proxy import FlakyNetwork
from testkit.waiting import eventually

from .conftest import FRAME, Session, echo_for, login, new_user

CHANGES = 16
KILL_AFTER = 5  # commits before the fault: it lands while the stream runs, changes in flight
APP_ID = "cams"  # the dev stack's Pusher app
# A request a killed gateway never finished holds its Idempotency-Key this long (default 60 s)
# before the retry may take it over; well above the gateway's 3 s request timeout.
STACK_ENV = {"GATEWAY_IDEMPOTENCY_LEASE_SECONDS": "8"}


@pytest.fixture(scope="module")
def kill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One stack for the kills: each test kills another process, and `./dev up`'s backoff
    grows per process only."""
    with RunningStack(tmp_path_factory.mktemp("kill-stack"), extra_env=STACK_ENV) as running:
        yield running


@dataclass
class Watch:
    """What is watched during a run: the parent's page, and what the router sent it."""

    parent: Session
    page: EchoClient
    routed: RoutedFrames

    @property
    def channel(self) -> str:
        return user_channel(self.parent.id)

    def frames(self) -> list[dict[str, Any]]:
        seen = self.page.seen(matching(type="event", event=FRAME, channel=self.channel))
        return [f["data"] for f in seen if "children" in f["data"].get("contexts", [])]

    def dropped(self) -> bool:
        """Whether the page's connection ever left `connected` (a recovery was needed)."""
        return bool(self.page.seen(matching(type="state", previous="connected")))


@contextlib.asynccontextmanager
async def watching(
    stack: RunningStack, api: httpx.AsyncClient, admin: Session
) -> AsyncIterator[Watch]:
    """A new parent, its page subscribed to its channel, and the router's frames to it tapped."""
    parent = await new_user(api, admin, "parent", "Kit Killjoy")
    page = await echo_for(stack, parent, f"kill-watcher-{parent.id}")
    try:
        channel = user_channel(parent.id)
        await page.subscribe("private", channel.removeprefix("private-"), events=[FRAME])
        await page.wait_for(matching(type="subscribed", channel=channel))
        routed = await RoutedFrames(APP_ID, channel).start(stack.nats_url, **stack.nats_login())
        try:
            yield Watch(parent, page, routed)
        finally:
            await routed.close()
    finally:
        await page.close()


def new_children() -> list[tuple[str, dict[str, Any]]]:
    """(Idempotency-Key, body) of each change of a run."""
    run = uuid.uuid4().hex[:8]
    return [
        (f"kill-{run}-{n}", {"name": f"Kid {run} {n}", "date_of_birth": "2018-01-01"})
        for n in range(CHANGES)
    ]


async def stack_ready(stack: RunningStack) -> None:
    """The gateway and the realtime edge answer `/readyz` 200 again."""

    async def ready() -> bool:
        async with httpx.AsyncClient(timeout=1) as plain:
            gateway = await plain.get(f"http://127.0.0.1:{stack.gateway_port}/readyz")
            edge = await plain.get(f"{stack.realtime}/readyz")
        return gateway.status_code == edge.status_code == 200

    await eventually(ready, timeout=45, interval=0.2)


async def restarted(stack: RunningStack, killed: dict[str, int]) -> None:
    """Every killed process runs again under a new pid."""

    async def all_back() -> bool:
        pids = stack.pids()
        return all(pids.get(name, pid) != pid for name, pid in killed.items())

    await eventually(all_back, timeout=30, interval=0.2)


async def count(
    stack: RunningStack,
    api: httpx.AsyncClient,
    admin: Session,
    watch: Watch,
    run: MutationStream,
    recovers: bool,
    nats_restarted: bool = False,
) -> None:
    """The counting of the module docstring, each part waited for with a deadline. `recovers`:
    the fault makes the edge send recovery frames (it lost its bus, or its clients), which may
    repeat a version already heard. `nats_restarted`: nats-server itself died (see
    `count_routed`)."""
    committed = await count_children(api, watch.parent, run)
    step("children counted")
    event_ids = await count_events(stack, watch.parent, committed)
    step("events counted")
    await count_feed(api, admin, watch.parent, event_ids)
    step("activity counted")
    version = await count_routed(watch, event_ids, nats_restarted)
    step("routed frames counted")
    await count_heard(watch, version, recovers)


async def count_children(api: httpx.AsyncClient, parent: Session, run: MutationStream) -> set[int]:
    """Every change committed; the ids of the parent's children (each a committed change)."""
    unfinished = {c.key: c.failures[-3:] for c in run.changes if not c.committed}
    assert not unfinished, f"changes that never committed: {unfinished}"
    answered = {int(c.answer["id"]) for c in run.changes if c.answer is not None}
    assert len(answered) == CHANGES, "two keys answered the same child"

    mine = ok_json(await api.get("/children", headers=parent.headers, params={"limit": 200}))
    by_name = {c.body["name"]: c for c in run.changes}
    names = Counter(child["name"] for child in mine["items"])
    assert set(names) == set(by_name)
    # A try whose outcome the client cannot know (the gateway answered 503 after its request
    # timed out, or the connection broke mid-request) may have committed; its retry carries the
    # same request id to bookings, which answers the first outcome rather than create again
    # (test_a_retry_after_a_timed_out_create_makes_nothing_twice).
    twins = {name: by_name[name].failures for name, n in names.items() if n > 1}
    assert not twins, f"made twice: {twins}"
    committed = {int(child["id"]) for child in mine["items"]}
    assert answered <= committed
    return committed


async def count_events(stack: RunningStack, parent: Session, committed: set[int]) -> set[str]:
    """One `ChildCreated` per committed child in the stream, none else; their event ids."""
    seen: list[int] = []

    async def events() -> dict[str, int]:
        found: dict[str, int] = {}
        seen.clear()
        for message in await stored_messages(
            stack.nats_url, ChildCreated.subject, idle=0.5, **stack.nats_login()
        ):
            event = orjson.loads(message.data)
            if event["parent_id"] == parent.id:
                seen.append(event["child_id"])
                found[event["event_id"]] = event["child_id"]
        return found if committed <= set(seen) else {}

    try:
        found = await eventually(events, timeout=40, interval=0.5)
    except TimeoutError:
        pytest.fail(f"committed children without an event: {sorted(committed - set(seen))}")
    assert sorted(seen) == sorted(committed), f"events per child: {Counter(seen)}"
    return set(found)


async def count_feed(
    api: httpx.AsyncClient, admin: Session, parent: Session, event_ids: set[str]
) -> None:
    """The notifications feed consumer wrote one activity entry per event."""
    entries: Counter[str] = Counter()

    async def feed() -> bool:
        answer = await api.get(
            "/activity", headers=admin.headers, params={"actor_id": parent.id, "limit": 200}
        )
        if answer.status_code == 200:
            entries.clear()
            entries.update(e["event_id"] for e in answer.json()["items"])
        return event_ids <= set(entries)

    try:
        await eventually(feed, timeout=60, interval=0.5)
    except TimeoutError:
        pytest.fail(f"events without an activity entry: {sorted(event_ids - set(entries))}")
    twice = {e: n for e, n in entries.items() if e in event_ids and n != 1}
    assert not twice, f"activity entries per event: {twice}"


async def count_routed(
    watch: Watch, event_ids: set[str], nats_restarted: bool = False
) -> dict[str, int]:
    """The router gave each event one version of `children`, no two events the same; each
    event's (first) version.

    Unless nats-server itself died: it rebuilds the versions bucket's duplicate window from the
    messages it still holds, and a key keeps only its latest put, so the first bump of an event
    whose ack died with the server is not known as a repeat once a later event's bump of the
    same key has replaced it. The redelivered event then gets a second, higher version
    (docs/faults.md, "Realtime limits known today"): harmless, as the edge drops the repeated
    frame of an event it delivered, and a higher version only covers more. Its first version
    is the one the counting holds the client to."""

    async def routed() -> bool:
        return event_ids <= set(watch.routed.versions_of("children"))

    try:
        await eventually(routed, timeout=40, interval=0.2)
    except TimeoutError:
        missing = event_ids - set(watch.routed.versions_of("children"))
        pytest.fail(f"events the router never sent a frame for: {missing}")
    routed_versions = watch.routed.versions_of("children")
    bumped_twice = {e: v for e, v in routed_versions.items() if e in event_ids and len(v) != 1}
    if nats_restarted:
        step(f"events bumped again after nats-server's restart: {bumped_twice}")
    else:
        assert not bumped_twice, f"the router gave an event two versions: {bumped_twice}"
    version = {e: min(routed_versions[e]) for e in event_ids}
    assert len(set(version.values())) == len(event_ids), f"events sharing a version: {version}"
    return version


async def count_heard(watch: Watch, version: dict[str, int], recovers: bool) -> None:
    """The parent's page holds, for every event, a frame that covers it (module docstring)."""
    if watch.dropped():  # pusher-js resubscribes by itself; the counting starts from there
        await watch.page.wait_for(matching(type="subscribed", channel=watch.channel), timeout=30)
        step("resubscribed")

    def uncovered() -> list[int]:
        frames = watch.frames()
        if any(f.get("resync") for f in frames):
            heard = float("inf")
        else:
            heard = max((f["versions"]["children"] for f in frames), default=0)
        return sorted(v for v in version.values() if v > heard)

    async def all_heard() -> bool:
        return not uncovered()

    try:
        await eventually(all_heard, timeout=30, interval=0.2)
    except TimeoutError:
        pytest.fail(f"no frame after versions {uncovered()}; frames: {watch.frames()}")
    step(f"versions {sorted(version.values())}; dropped {watch.dropped()}; {watch.frames()}")
    # A frame in flight dies with nats-server (core NATS keeps nothing); what covers it then
    # is a later frame or the edge's recovery frame once the bus is back, checked above.
    if not watch.dropped() and not recovers:
        heard = [f["versions"]["children"] for f in watch.frames() if "versions" in f]
        skipped = sorted(set(version.values()) - set(heard))
        assert not skipped, f"connected all along, yet no own frame of versions {skipped}"
        assert sorted(heard) == sorted(version.values()), "a frame heard twice"


def step(what: str) -> None:
    """A line in the captured output, shown with a failure: where the time went."""
    print(f"{time.strftime('%H:%M:%S')} {what}", flush=True)


def ok_json(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def run_killing(stack: RunningStack, names: list[str], recovers: bool = False) -> None:
    """The stream of changes; after `KILL_AFTER` commits, SIGKILL each process in `names`."""
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as api:
        admin = await login(api, "admin@cams.test")
        async with watching(stack, api, admin) as watch:
            killed: dict[str, int] = {}

            def kill(done: int) -> None:
                if done == KILL_AFTER and not killed:
                    for name in names:
                        killed[name] = stack.signal_service(name, signal.SIGKILL)

            run = MutationStream(
                api, "/children", watch.parent.headers, new_children(), on_commit=kill
            )
            step("changes start")
            await run.run()
            step(f"changes done; killed {killed}")
            assert killed, "the run ended before the kill"
            await restarted(stack, killed)
            await stack_ready(stack)
            step("stack ready")
            admin = await login(api, "admin@cams.test")
            await count(stack, api, admin, watch, run, recovers, "nats-server" in names)
            assert all(f"{name} crashed" in stack.log() for name in names)


@pytest.mark.parametrize("service", ["gateway", "bookings", "realtime-router", "nats-server"])
async def test_a_killed_service_loses_no_event_applies_none_twice_and_no_client_misses_one(
    kill_stack: RunningStack, service: str
) -> None:
    """The client stays connected throughout: it must hear every event's own frame, once only;
    but when nats-server dies, a frame in flight dies with it, and a later frame or the edge's
    recovery frame must cover it (docs/architecture.md, "Recovery", bus away)."""
    await run_killing(kill_stack, [service], recovers=service == "nats-server")


async def test_a_killed_realtime_edge_loses_no_event_applies_none_twice_and_no_client_misses_one(
    kill_stack: RunningStack,
) -> None:
    """The edge dies; the router keeps routing the changes that follow to nowhere while pusher-js
    reconnects. After it resubscribes, the client must hold a frame covering each change."""
    await run_killing(kill_stack, ["realtime"], recovers=True)


async def test_a_retry_after_a_timed_out_create_makes_nothing_twice(
    kill_stack: RunningStack,
) -> None:
    """What the kills found, made certain: bookings frozen (SIGSTOP) while it holds a create,
    so the gateway's request times out (503) and the create commits when bookings thaws. The
    client retries with the same key, as docs/rest.md tells it to after a 5xx."""
    async with httpx.AsyncClient(base_url=kill_stack.api, timeout=15) as api:
        admin = await login(api, "admin@cams.test")
        parent = await new_user(api, admin, "parent", "Tim Timeout")
        headers = {**parent.headers, "Idempotency-Key": f"frozen-{uuid.uuid4().hex}"}
        body = {"name": "Once Only", "date_of_birth": "2018-01-01"}
        bookings = kill_stack.pid_of("bookings")
        os.kill(bookings, signal.SIGSTOP)
        try:
            first = await api.post("/children", headers=headers, json=body)
        finally:
            os.kill(bookings, signal.SIGCONT)
        assert first.status_code == 503, first.text

        async def stored() -> list[dict[str, Any]]:
            page = ok_json(await api.get("/children", headers=parent.headers))
            items: list[dict[str, Any]] = page["items"]
            return items

        await eventually(stored, timeout=15)  # the create the timed-out request carried
        retry = await api.post("/children", headers=headers, json=body)
        assert retry.is_success, retry.text
        assert len(await stored()) == 1, "the retry with the same key created a second child"


def through(proxy: FlakyNetwork, url: str) -> str:
    """`url` with its host and port replaced by the proxy's."""
    server = ADMIN_URL.split("@", 1)[1].split("/", 1)[0]
    return url.replace(f"@{server}/", f"@127.0.0.1:{proxy.port}/", 1)


async def test_bookings_losing_postgres_loses_no_event_applies_none_twice_and_no_client_misses_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Bookings on PostgreSQL through a proxy that cuts every connection (no FIN, no RST seen by
    the server first: an abort) and refuses new ones until the changes have failed for a while;
    then it lets them through again. Bookings' pool must reconnect by itself."""
    async with fresh_database() as url:
        proxy = await FlakyNetwork(int(ADMIN_URL.rsplit(":", 1)[1].split("/")[0])).start()
        env = {**STACK_ENV, "BOOKINGS_DATABASE_URL": through(proxy, url)}
        stack = RunningStack(tmp_path_factory.mktemp("pg-loss-stack"), extra_env=env)
        try:
            # The proxy runs on this event loop: the blocking start waits in a thread.
            await asyncio.to_thread(stack.start)
            async with httpx.AsyncClient(base_url=stack.api, timeout=10) as api:
                admin = await login(api, "admin@cams.test")
                async with watching(stack, api, admin) as watch:
                    cut = asyncio.Event()

                    def cut_off(done: int) -> None:
                        if done == KILL_AFTER:
                            proxy.go_offline()
                            cut.set()

                    run = MutationStream(
                        api, "/children", watch.parent.headers, new_children(), on_commit=cut_off
                    )
                    running = asyncio.create_task(run.run())
                    await asyncio.wait_for(cut.wait(), timeout=30)

                    async def refused_a_few() -> bool:
                        return sum(len(c.failures) for c in run.changes) >= 3

                    await eventually(refused_a_few, timeout=20, interval=0.1)
                    proxy.go_online()
                    await running
                    await count(stack, api, admin, watch, run, recovers=False)
        finally:
            await asyncio.to_thread(stack.stop)
            await proxy.close()
