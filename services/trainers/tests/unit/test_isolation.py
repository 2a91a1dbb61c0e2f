"""The unit tier's guard works: a unit test that reaches for the network fails."""

import socket

import pytest


def test_a_unit_test_cannot_open_a_connection() -> None:
    with pytest.raises(AssertionError, match="socket"), socket.socket() as sock:
        sock.connect(("127.0.0.1", 4222))
