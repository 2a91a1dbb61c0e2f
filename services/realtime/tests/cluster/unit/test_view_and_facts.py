"""The cluster view and its webhook facts without NATS: bucket keys, what the view answers and
which changes it reports, and facts that every instance derives alike from the same history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from contracts.realtime import ChannelLifecycleEvent
from realtime.cluster import keys
from realtime.cluster.facts import Facts
from realtime.cluster.view import Change, View

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KV_KEY = re.compile(r"^[-/_=.a-zA-Z0-9]+$")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_names_become_valid_bucket_keys_and_come_back() -> None:
    for key in (
        keys.member("a1", "cams", "presence-room;1,2@x", "ü.ser*>"),
        keys.subscribers("a1", "cams", "#server-to-user-7"),
        keys.heartbeat("a1"),
    ):
        assert KV_KEY.match(str(key))
        assert keys.parse(str(key)) == key
    assert str(keys.subscribers("a1", "cams", "private-live-refresh.5")) == (
        "s.a1.cams.private-live-refresh=2E5"
    )
    assert keys.parse("x.y") is None and keys.parse("m.a1.cams.room") is None


def feed(view: View, text: str, value: bytes | None = b"1") -> tuple[list[Change], list[Change]]:
    applied = view.apply(text, value, value is None)
    return applied.others, applied.cluster


def test_the_view_answers_for_the_other_live_instances_and_forgets_a_dead_one() -> None:
    view = View("me")
    room = ("cams", "presence-room")
    for instance in ("me", "b"):
        feed(view, str(keys.heartbeat(instance)), b"")
    assert feed(view, str(keys.subscribers("b", *room)), b"2") == (
        [],
        [Change(*room, None, True)],
    )
    others, cluster = feed(view, str(keys.member("b", *room, "alice")), b'{"name":"A"}')
    assert others == [Change(*room, "alice", True)] and cluster == [Change(*room, "alice", True)]
    # Alice's second tab, here: she is already a member of the cluster.
    assert feed(view, str(keys.member("me", *room, "alice")), b'{"name":"A"}') == ([], [])
    assert view.members(*room) == {"alice": {"name": "A"}}
    assert view.subscriptions(*room) == 2 and view.channels("cams") == ["presence-room"]

    # `b` dies: its heartbeat is removed; alice is still here, so only the others' view changes.
    others, cluster = feed(view, str(keys.heartbeat("b")), None)
    assert others == [Change(*room, "alice", False)] and cluster == []
    assert view.members(*room) == {} and view.subscriptions(*room) == 0
    assert set(view.orphans()) == {
        str(keys.subscribers("b", *room)),
        str(keys.member("b", *room, "alice")),
    }
    # Her tab here goes too: she and the channel leave the cluster, members before channel.
    assert feed(view, str(keys.member("me", *room, "alice")), None)[1] == [
        Change(*room, "alice", False),
        Change(*room, None, False),
    ]


class Recorder:
    def __init__(self) -> None:
        self.events: list[ChannelLifecycleEvent] = []
        self.wakes: list[float] = []

    def facts(self, grace: float = 3.0) -> Facts:
        return Facts(self.events.append, grace, self.wakes.append)

    def names(self) -> list[tuple[str, str | None]]:
        return [(e.subject.split(".")[2], getattr(e, "user_id", None)) for e in self.events]


HISTORY = [  # (revision, seconds, change)
    (1, 0.0, Change("cams", "presence-room", None, True)),
    (2, 0.0, Change("cams", "presence-room", "alice", True)),
    (3, 1.0, Change("cams", "presence-room", "alice", False)),
    (4, 2.5, Change("cams", "presence-room", "alice", True)),  # back within the grace
    (5, 4.0, Change("cams", "presence-room", "alice", False)),
    (6, 4.0, Change("cams", "presence-room", None, False)),
]


def replay(facts: Facts, history: list[tuple[int, float, Change]], until: float) -> None:
    for revision, seconds, change in history:
        facts.advance(at(seconds))
        facts.changed(change, revision, at(seconds))
    facts.advance(at(until))  # heartbeats move the bucket's clock on


def test_every_instance_derives_the_same_facts_with_the_same_ids() -> None:
    first, second = Recorder(), Recorder()
    for recorder in (first, second):
        facts = recorder.facts()
        facts.start(None, set())
        replay(facts, HISTORY, until=7.5)

    assert first.names() == [
        ("channel", None),
        ("member", "alice"),
        ("member", "alice"),
        ("channel", None),
    ]
    assert [e.subject for e in first.events] == [
        "realtime.events.channel.occupied",
        "realtime.events.member.added",
        "realtime.events.member.removed",
        "realtime.events.channel.vacated",
    ]
    assert [e.event_id for e in first.events] == [e.event_id for e in second.events]
    assert first.events[2].occurred_at == at(4.0)
    assert first.wakes == [3.0, 3.0, 3.0]


def test_held_facts_wait_for_the_buckets_clock_not_the_local_one() -> None:
    recorder = Recorder()
    facts = recorder.facts()
    facts.start(None, set())
    replay(facts, HISTORY, until=6.9)
    assert len(recorder.events) == 2  # the removals fall due at 7.0 in bucket time
    facts.advance(at(7.0))
    assert len(recorder.events) == 4


def test_a_new_instance_leaves_the_return_of_what_had_just_gone_to_the_others() -> None:
    recorder = Recorder()
    facts = recorder.facts()
    facts.start(at(10.0), {("cams", "presence-room", "alice")})
    facts.changed(Change("cams", "presence-room", "alice", True), 7, at(11.0))
    facts.changed(Change("cams", "presence-room", "bob", True), 8, at(11.0))
    facts.changed(Change("cams", "presence-room", "bob", False), 9, at(11.5))
    facts.advance(at(15.0))
    # Alice's arrival may cancel a removal the others hold; bob's comings and goings are news.
    assert [(e.subject, getattr(e, "user_id", None)) for e in recorder.events] == [
        ("realtime.events.member.added", "bob"),
        ("realtime.events.member.removed", "bob"),
    ]


def test_a_departed_instance_is_named_with_its_channels_and_its_last_delivered_position() -> None:
    """What recovery needs when an edge dies without a word (SIGKILL): which channels it held
    and how far it had surely delivered at its last heartbeat."""
    view = View("me")
    live = ("cams", "private-live-refresh.7")
    view.apply(str(keys.heartbeat("b")), b"40", False)
    view.apply(str(keys.subscribers("b", *live)), b"1", False)
    view.apply(str(keys.member("b", "cams", "presence-online", "7")), b"{}", False)
    assert view.apply(str(keys.heartbeat("b")), b"52", False).departed is None  # renewed
    assert view.position_of("b") == 52

    departed = view.apply(str(keys.heartbeat("b")), None, True).departed

    assert departed == "b"
    held = view.channels_held_by("b")
    assert sorted(held["cams"]) == ["presence-online", "private-live-refresh.7"]
    assert view.instances_held() - view.alive() == {"b"}
    assert view.apply(str(keys.heartbeat("b")), None, True).departed is None  # told once
    # Swept by the janitor: nothing is held, and its position is forgotten.
    view.apply(str(keys.subscribers("b", *live)), None, True)
    view.apply(str(keys.member("b", "cams", "presence-online", "7")), None, True)
    assert view.channels_held_by("b") == {} and view.position_of("b") == 0
