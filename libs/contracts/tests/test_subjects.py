"""Unit: subject names read as sentences, and streams capture events but never requests."""

import re

import pytest

from contracts.catalogue import EVENTS, REQUESTS, STREAMS, replies
from contracts.envelope import Reply
from contracts.live import deliver_subject

EVENT_SUBJECT = re.compile(r"^(?P<context>[a-z]+)\.events\.(?P<entity>[a-z_]+)\.(?P<verb>[a-z_]+)$")
REQUEST_SUBJECT = re.compile(r"^(?P<context>[a-z]+)\.requests\.(?P<action>[a-z_]+)$")


def matches(pattern: str, subject: str) -> bool:
    """NATS wildcard semantics: `*` is exactly one token, `>` one or more trailing tokens."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for i, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > i
        if i >= len(tokens) or (token != "*" and token != tokens[i]):
            return False
    return len(tokens) == len(wanted)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("a.>", "a.b", True),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", False),
        ("a.*.c", "a.x.c", True),
        ("a.b", "a.b", True),
        ("a.b", "a.bc", False),
        (">", "anything.at.all", True),
    ],
)
def test_the_matcher_follows_nats_wildcards(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected


def capturing(subject: str) -> list[str]:
    return [s.name for s in STREAMS if any(matches(p, subject) for p in s.subjects)]


@pytest.mark.parametrize("subject", sorted(REQUESTS))
def test_no_stream_captures_a_request(subject: str) -> None:
    # A stream over a request subject would answer it with a PubAck: a silent wrong reply.
    assert capturing(subject) == []


@pytest.mark.parametrize("subject", sorted(EVENTS))
def test_every_event_is_captured_by_exactly_one_stream(subject: str) -> None:
    assert len(capturing(subject)) == 1, capturing(subject)


@pytest.mark.parametrize("subject", sorted(EVENTS))
def test_events_read_context_events_entity_past_verb(subject: str) -> None:
    found = EVENT_SUBJECT.match(subject)
    assert found, subject
    assert EVENTS[subject].__module__ == f"contracts.{found['context']}"
    # A past tense: one of the verb's words ends in -ed ("clocked_in", "trainer_assigned").
    assert any(word.endswith("ed") for word in found["verb"].split("_")), subject
    assert capturing(subject) == [f"{found['context'].upper()}_EVENTS"]


@pytest.mark.parametrize("subject", sorted(REQUESTS))
def test_requests_read_context_requests_action(subject: str) -> None:
    found = REQUEST_SUBJECT.match(subject)
    assert found, subject
    assert REQUESTS[subject].__module__ == f"contracts.{found['context']}"


@pytest.mark.parametrize("subject", sorted(REQUESTS))
def test_every_request_names_its_reply_type(subject: str) -> None:
    reply = REQUESTS[subject].reply
    assert isinstance(reply, type) and issubclass(reply, Reply)
    assert replies()[reply.__name__] is reply, "two reply types share a schema file name"


def words(class_name: str) -> list[str]:
    return re.findall(r"[A-Z][a-z]*", class_name)


def test_class_names_tell_the_kind() -> None:
    # Events in the past tense (TrainerClockedIn), requests as orders (SubmitChildChecklist).
    for cls in EVENTS.values():
        assert any(w.endswith("ed") for w in words(cls.__name__)), cls.__name__
    for cls in REQUESTS.values():
        assert not words(cls.__name__)[0].endswith("ed"), cls.__name__
    assert set(EVENTS).isdisjoint(REQUESTS)


@pytest.mark.parametrize(
    "channel",
    ["private-live-refresh.1", "presence-online", "", ".", "a..b", ".leading", "trailing.", "..."],
)
@pytest.mark.parametrize("app_id", ["cams", ""])
def test_deliver_subject_never_has_an_empty_token(app_id: str, channel: str) -> None:
    subject = deliver_subject(app_id, channel)

    assert all(subject.split(".")), subject
    assert subject.startswith("live.deliver.")


def test_deliver_subject_keeps_distinct_channels_distinct() -> None:
    channels = ["a.b", "a..b", "ab", ".ab", "ab.", "a.b."]
    assert len({deliver_subject("cams", c) for c in channels}) == len(channels)
