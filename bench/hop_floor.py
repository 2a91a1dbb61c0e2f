"""The hops of the stack's PATCH → frame path with no work at each hop: the floor of what the
architecture costs, for `bench/rest_to_frame.py --systems floor,monolith`.

The stack passes a PATCH through a gateway, a NATS request to bookings, bookings' publish of
`ChildUpdated` into JetStream, the router's and notifications' pulls of it, notifications'
publish of `ActivityRecorded` and the router's pull of that, and the frames on core NATS to an
edge. Here each of those processes keeps only its hop: no database, no outbox, no inbox, no
versions, no traces, no validation beyond parsing. The front (`monolith_app.py --hops`) is the
monolith's own process (its sign-in, token check and WebSocket endpoint), so the gateway and the
edge are one process here where the stack has two. What this costs per mutation is less than
any stack of these services can cost, whatever their code.

    python bench/hop_floor.py setup  --nats URL     # the stream and the two durables
    python bench/hop_floor.py bookings --nats URL   # replies to the request, publishes the event
    python bench/hop_floor.py router --nats URL     # pulls events, publishes frames, acks
    python bench/hop_floor.py notifications --nats URL  # pulls the event, publishes its entry
"""

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import nats
import orjson
import uvloop
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from messaging.pull import LeanPull

STREAM = "FLOOR"
UPDATE = "floor.bookings.update_child"  # the gateway → bookings request
CHILD_UPDATED = "floor.events.child_updated"
ACTIVITY = "floor.events.activity_recorded"
FRAMES = "floor.frames"  # router → front (the edge)
ADMIN_CHANNEL = "private-live-refresh.admin"
FEED_CHANNEL = "private-activity.admin"
DURABLES = {"router": [CHILD_UPDATED, ACTIVITY], "notifications": [CHILD_UPDATED]}

Handler = Callable[[Client, JetStreamContext, Msg], Awaitable[None]]


async def setup(url: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=STREAM, subjects=["floor.events.>"]))
    for durable, subjects in DURABLES.items():
        config = ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT)
        config.filter_subjects = subjects
        await js.add_consumer(STREAM, config)
    await nc.close()


async def bookings(url: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()

    async def update(msg: Msg) -> None:
        request = orjson.loads(msg.data)
        child = {
            "id": request["child_id"],
            "parent_id": request["parent_id"],
            "name": request["body"].get("name", ""),
            "date_of_birth": "2017-05-04",
            "updated_at": datetime.now(UTC).isoformat(),
        }
        await msg.respond(orjson.dumps(child))
        # The relay's hop: the event into JetStream, acknowledged.
        await js.publish(CHILD_UPDATED, orjson.dumps({"child": child}))

    await nc.subscribe(UPDATE, cb=update)
    await asyncio.Event().wait()


async def pull_loop(url: str, durable: str, on_event: Handler) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    pull = await LeanPull(nc, STREAM, durable).start()
    while True:
        with contextlib.suppress(NatsTimeoutError):
            for msg in await pull.fetch(256, timeout=1.0):
                await on_event(nc, js, msg)
                await msg.ack()


async def route(nc: Client, _js: JetStreamContext, msg: Msg) -> None:
    if msg.subject == CHILD_UPDATED:
        parent = orjson.loads(msg.data)["child"]["parent_id"]
        channels = [f"private-live-refresh.{parent}", ADMIN_CHANNEL]
        data: dict[str, object] = {"contexts": ["children"]}
        frame = {"channels": channels, "event": "LiveRefreshContextsUpdated", "data": data}
    else:
        frame = {"channels": [FEED_CHANNEL], "event": "ActivityRecorded", "data": {}}
    await nc.publish(FRAMES, orjson.dumps(frame))


async def record(_nc: Client, js: JetStreamContext, msg: Msg) -> None:
    child = orjson.loads(msg.data)["child"]
    await js.publish(ACTIVITY, orjson.dumps({"kind": "child_updated", "child_id": child["id"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["setup", "bookings", "router", "notifications"])
    parser.add_argument("--nats", required=True)
    args = parser.parse_args()
    roles = {
        "setup": lambda: setup(args.nats),
        "bookings": lambda: bookings(args.nats),
        "router": lambda: pull_loop(args.nats, "router", route),
        "notifications": lambda: pull_loop(args.nats, "notifications", record),
    }
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(roles[args.role]())


if __name__ == "__main__":
    main()
