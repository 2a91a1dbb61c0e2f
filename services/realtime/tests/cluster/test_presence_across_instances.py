"""Realtime instances on a three-node NATS cluster are one Pusher service: a user is one
presence member wherever their tabs are, the HTTP API answers for every instance on any of
them, terminate reaches every instance, webhooks go out once, a user moving between instances
is not seen leaving, the members of an instance that dies expire, and an instance whose NATS
node dies carries on through another."""

from __future__ import annotations

from functools import partial

from testkit.echo import matching
from testkit.nats_cluster import NatsCluster
from testkit.tcp_proxy import FlakyNetwork
from testkit.waiting import eventually

from .conftest import Clients, Instance, Receiver, StartInstance, join, joining, leaving

ROOM = "presence-room"


async def test_one_user_on_two_instances_is_one_member_everywhere_and_leaves_once(
    instance: StartInstance, client: Clients, receiver: Receiver
) -> None:
    a, b, c = [await instance(node) for node in range(3)]
    bob = await client(c, "bob")
    assert await join(bob, "room") == {"bob"}
    tab1 = await client(a, "alice", "alice-tab1")
    assert await join(tab1, "room") == {"alice", "bob"}
    await bob.wait_for(joining("alice"))
    tab2 = await client(b, "alice", "alice-tab2")
    assert await join(tab2, "room") == {"alice", "bob"}
    erin = await client(a, "erin")
    assert await join(erin, "room") == {"alice", "bob", "erin"}

    for on in (a, b, c):  # each answers for all three, from what it holds (a moment behind)
        await eventually(partial(counted, on, subscriptions=4, members=3), timeout=5)
        assert await users(on) == {"alice", "bob", "erin"}
        listed = await on.query("channels_info", "presence-", ["user_count"])
        assert listed == {"channels": {ROOM: {"user_count": 3}}}

    # Alice closes the tab on `a`; erin leaves `a` after her. Had alice's going from `a` been
    # taken for her leaving, bob would hear it before erin's (the same grace, started sooner).
    await tab1.send("disconnect")
    await erin.send("disconnect")
    await bob.wait_for(leaving("erin"))
    assert bob.seen(leaving("alice")) == []

    await tab2.send("disconnect")
    await bob.wait_for(leaving("alice"))
    await eventually(lambda: counted(a, subscriptions=1, members=1), timeout=5)
    assert await users(a) == {"bob"}
    await bob.send("disconnect")

    expected = [
        ("channel_occupied", None),
        ("member_added", "bob"),
        ("member_added", "alice"),
        ("member_added", "erin"),
        ("member_removed", "erin"),
        ("member_removed", "alice"),
        ("member_removed", "bob"),
        ("channel_vacated", None),
    ]
    await eventually(lambda: receiver.has(ROOM, *expected), timeout=15)
    # Once each, though three instances saw them; in any order, since each instance's
    # webhook sender takes its share of the stream (as with Pusher, order is not promised).
    assert sorted(receiver.facts(ROOM), key=str) == sorted(expected, key=str)
    assert len(bob.seen(joining("alice"))) == 1
    assert len(bob.seen(leaving("alice"))) == 1


async def test_terminate_connections_closes_the_users_connections_on_every_instance(
    instance: StartInstance, client: Clients
) -> None:
    a, b, c = [await instance(node) for node in range(3)]
    signed_in = await client(a, "alice", "alice-signed-in")
    await signed_in.send("signin")
    await signed_in.wait_for(matching(type="message", event="pusher:signin_success"))
    member = await client(b, "alice", "alice-member")
    await join(member, "room")
    bob = await client(c, "bob")
    await join(bob, "room")

    await c.query("terminate_user_connections", "alice")  # on the one she is not on

    for closed in (signed_in, member):
        error = await closed.wait_for(matching(type="error"))
        assert error["error"]["data"]["code"] == 4009
        await closed.wait_for(matching(type="state", current="disconnected"))
    await bob.wait_for(leaving("alice"))
    assert bob.seen(matching(type="state", current="disconnected")) == []


async def test_a_user_moved_by_a_rolling_restart_is_not_seen_leaving_or_joining(
    instance: StartInstance, client: Clients, receiver: Receiver
) -> None:
    # Graces long enough for a move on a busy machine (a drain, a reconnect, a new auth).
    graces = {"presence_removal_grace_seconds": 3.0, "lifecycle_grace_seconds": 3.0}
    a, b, c = [await instance(node, **graces) for node in range(3)]
    balancer = await FlakyNetwork(a.port).start()  # sends new connections to `a`, for now
    try:
        bob = await client(c, "bob")
        await join(bob, "room")
        erin = await client(b, "erin")
        await join(erin, "room")
        alice = await client(balancer, "alice")
        await join(alice, "room")
        await bob.wait_for(joining("alice"))

        balancer.target_port = b.port
        await a.stop()  # drains: alice is closed with 4200, and pusher-js comes back on `b`

        here = await alice.wait_for(matching(type="here", channel=ROOM))
        assert {m["id"] for m in here["members"]} == {"alice", "bob", "erin"}
        # Erin leaves `b` after alice arrived there: her leaving reaches bob after any of alice's.
        await erin.send("disconnect")
        await bob.wait_for(leaving("erin"))
        assert bob.seen(leaving("alice")) == []
        assert len(bob.seen(joining("alice"))) == 1
        await eventually(lambda: receiver.has(ROOM, ("member_removed", "erin")), timeout=10)
        assert ("member_removed", "alice") not in receiver.facts(ROOM)
        assert receiver.facts(ROOM).count(("member_added", "alice")) == 1
    finally:
        await balancer.close()


async def test_the_members_of_a_killed_instance_expire_everywhere(
    instance: StartInstance, client: Clients, receiver: Receiver
) -> None:
    a = await instance(0)
    doomed = await instance(1, own_process=True)
    bob = await client(a, "bob")
    await join(bob, "room")
    alice = await client(doomed, "alice")
    assert await join(alice, "room") == {"alice", "bob"}
    await bob.wait_for(joining("alice"))
    await eventually(lambda: counted(a, subscriptions=2, members=2), timeout=5)

    await doomed.kill()  # no goodbye: its heartbeat simply stops

    await bob.wait_for(leaving("alice"), timeout=10)
    assert await counted(a, subscriptions=1, members=1)
    await eventually(lambda: receiver.has(ROOM, ("member_removed", "alice")), timeout=10)
    assert receiver.facts(ROOM).count(("member_removed", "alice")) == 1


async def users(on: Instance) -> set[str]:
    return {user["id"] for user in (await on.query("users_info", ROOM))["users"]}


async def counted(on: Instance, subscriptions: int, members: int) -> bool:
    """Whether `on` counts that many subscriptions and members of the room, everywhere."""
    info = await on.query("channel_info", ROOM, ["subscription_count", "user_count"])
    expected = {"occupied": True, "subscription_count": subscriptions, "user_count": members}
    return bool(info == expected)


async def test_an_instance_whose_nats_node_dies_carries_on_through_another(
    instance: StartInstance, client: Clients, nats_cluster: NatsCluster
) -> None:
    # Heartbeats that outlive a failover: neither instance is to be taken for gone here.
    a, b = [await instance(node, presence_instance_ttl_seconds=10) for node in (0, 1)]
    bob = await client(a, "bob")
    await join(bob, "room")
    alice = await client(b, "alice")
    await join(alice, "room")
    await bob.wait_for(joining("alice"))

    # `b` reconnects to a node it learnt of from the cluster; if the bucket's leader was on the
    # dead node, nothing is written anywhere until the other two have elected another.
    nats_cluster.nodes[1].kill()

    carol = await client(a, "carol")
    await join(carol, "room")
    await alice.wait_for(joining("carol"), timeout=30)  # b's view follows the bucket again
    dave = await client(b, "dave")
    assert await join(dave, "room") == {"alice", "bob", "carol", "dave"}
    await bob.wait_for(joining("dave"), timeout=30)  # and b's writes reach it
    assert await users(a) == await users(b) == {"alice", "bob", "carol", "dave"}
    assert bob.seen(leaving("alice")) == [] and alice.seen(leaving("bob")) == []
