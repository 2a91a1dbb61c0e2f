"""Channel name rules and kinds."""

from __future__ import annotations

import pytest

from realtime.pusher.channels import ChannelKind, accepts_client_events, is_valid_name, kind_of


@pytest.mark.parametrize(
    "name",
    [
        "news",
        "private-live-refresh.7",
        "presence-online",
        "private-encrypted-a",
        "a-b_c=d@e,f.g;h",
        "#server-to-user-42",
        "x" * 164,
    ],
)
def test_valid_names(name: str) -> None:
    assert is_valid_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 165,
        "has space",
        "slash/no",
        "#hash",
        "#server-to-user-",
        "ünïcode",
        None,
        7,
    ],
)
def test_invalid_names(name: object) -> None:
    assert not is_valid_name(name)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("news", ChannelKind.PUBLIC),
        ("private-a", ChannelKind.PRIVATE),
        ("private-encrypted-a", ChannelKind.ENCRYPTED),
        ("presence-a", ChannelKind.PRESENCE),
        ("#server-to-user-1", ChannelKind.SERVER_TO_USER),
    ],
)
def test_kinds(name: str, kind: ChannelKind) -> None:
    assert kind_of(name) is kind


def test_client_events_only_on_private_and_presence() -> None:
    allowed = {k for k in ChannelKind if accepts_client_events(k)}
    assert allowed == {ChannelKind.PRIVATE, ChannelKind.PRESENCE}
